// Import page: dcc.Upload's hidden file input gets the name of its field, for screen readers.
new MutationObserver(function () {
    document.querySelectorAll(".import-drop input[type=file]:not([aria-label])").forEach(function (input) {
        var field = input.closest(".import-upload");
        var label = field && field.querySelector(".dorsi-label");
        input.setAttribute("aria-label", label ? label.textContent : "file to import");
    });
}).observe(document.documentElement, {childList: true, subtree: true});
