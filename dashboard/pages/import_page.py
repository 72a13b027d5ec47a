"""Import page: upload an interchange CSV or an Xsens/Movella shin+foot pair; it becomes a new session."""

from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, State, dcc, html

from dashboard import ids
from dashboard.app import MAX_UPLOAD_FILE_BYTES, current_data_dir
from dashboard.upload_import import Upload, UploadError, import_uploads, safe_filename
from processing.exercises.registry import SPECS

dash.register_page(__name__, path="/import", name="Import", title="dorsi: import", order=-10)  # type: ignore[no-untyped-call]

KINDS = [
    {"label": "dorsi interchange CSV", "value": "interchange"},
    {"label": "Xsens / Movella MT Manager exports (shin + foot)", "value": "xsens"},
]


def _upload(upload_id: str, file_id: str, label: str) -> html.Div:
    return html.Div(
        [
            html.P(label, className="dorsi-label", id=f"{upload_id}-label"),
            dcc.Upload(
                html.Span(["Drop the file here, or ", html.Span("choose a file", className="import-choose")]),
                id=upload_id,
                multiple=False,
                max_size=MAX_UPLOAD_FILE_BYTES,
                className="import-drop",
            ),
            html.P("No file chosen.", id=file_id, className="import-file"),
        ],
        className="import-upload",
    )


LEGS = [{"label": "Left", "value": "left"}, {"label": "Right", "value": "right"}]
EXERCISES = [{"label": s.title, "value": name} for name, s in SPECS.items()]
CHOICES = {  # store id -> (options, default, question)
    ids.IMPORT_KIND: (KINDS, "interchange", "What kind of file?"),
    ids.IMPORT_LEG: (LEGS, "right", "Which leg was recorded?"),
    ids.IMPORT_EXERCISE: (EXERCISES, "band_mobilisation", "Which exercise is it?"),
}


def _choice_id(store_id: str, value: str | Any) -> dict[str, Any]:
    return {"type": f"{store_id}-choice", "value": value}


def _choice(store_id: str) -> html.Div:
    """A question answered by one of several toggle buttons (aria-pressed marks the chosen one), and its store."""
    options, chosen, question = CHOICES[store_id]
    return html.Div(
        [
            html.P(question, className="dorsi-label", id=f"{store_id}-question"),
            html.Div(
                [
                    html.Button(
                        o["label"],
                        id=_choice_id(store_id, o["value"]),
                        className="dorsi-button" + ("" if o["value"] == chosen else " secondary"),
                        n_clicks=0,
                        **{"aria-pressed": "true" if o["value"] == chosen else "false"},  # type: ignore[arg-type]
                    )
                    for o in options
                ],
                role="group",
                className="import-choices",
                **{"aria-labelledby": f"{store_id}-question"},  # type: ignore[arg-type]
            ),
            dcc.Store(id=store_id, data=chosen),
        ],
        className="import-choice",
    )


def layout(**_query: str) -> html.Div:
    """Build the import page (query parameters are ignored: files come only from the upload fields)."""
    return html.Div(
        [
            html.Section(
                [
                    html.H2("Import a recording", id="import-heading"),
                    html.P(
                        "A file recorded elsewhere becomes a new session, analysed like one recorded here. The whole "
                        f"file is one set of the exercise you choose. Files up to {MAX_UPLOAD_FILE_BYTES // 2**20} MB."
                    ),
                    _choice(ids.IMPORT_KIND),
                    _choice(ids.IMPORT_LEG),
                    _choice(ids.IMPORT_EXERCISE),
                    html.Div(
                        _upload(ids.IMPORT_CSV_UPLOAD, ids.IMPORT_CSV_FILE, "Interchange CSV"), id=ids.IMPORT_CSV_GROUP
                    ),
                    html.Div(
                        [
                            _upload(ids.IMPORT_SHIN_UPLOAD, ids.IMPORT_SHIN_FILE, "Shin sensor's export (.txt)"),
                            _upload(ids.IMPORT_FOOT_UPLOAD, ids.IMPORT_FOOT_FILE, "Foot sensor's export (.txt)"),
                        ],
                        id=ids.IMPORT_XSENS_GROUP,
                        className="dorsi-row",
                        style={"display": "none"},
                    ),
                    html.Button("Import", id=ids.IMPORT_BUTTON, className="dorsi-button", n_clicks=0),
                    html.Div(id=ids.IMPORT_RESULT, className="import-result", role="status", **{"aria-live": "polite"}),  # type: ignore[arg-type]
                ],
                className="dorsi-panel",
                **{"aria-labelledby": "import-heading"},  # type: ignore[arg-type]
            )
        ]
    )


for _store_id in CHOICES:

    @dash.callback(
        Output(_store_id, "data"),
        Output(_choice_id(_store_id, ALL), "aria-pressed"),
        Output(_choice_id(_store_id, ALL), "className"),
        Input(_choice_id(_store_id, ALL), "n_clicks"),
        State(_choice_id(_store_id, ALL), "id"),
        prevent_initial_call=True,
    )
    def choose(_clicks: list[int], buttons: list[dict[str, str]]) -> tuple[str, list[str], list[str]]:
        """Remember the answer of the button pressed; press it and release the others."""
        chosen = str(dash.ctx.triggered_id["value"])
        pressed = [b["value"] == chosen for b in buttons]
        return (
            chosen,
            [str(p).lower() for p in pressed],
            ["dorsi-button" + ("" if p else " secondary") for p in pressed],
        )


@dash.callback(
    Output(ids.IMPORT_CSV_GROUP, "style"),
    Output(ids.IMPORT_XSENS_GROUP, "style"),
    Input(ids.IMPORT_KIND, "data"),
)
def show_uploads(kind: str) -> tuple[dict[str, str], dict[str, str]]:
    """Show the upload fields of the chosen kind of file."""
    hide = {"display": "none"}
    return ({} if kind == "interchange" else hide), ({} if kind == "xsens" else hide)


for _upload_id, _file_id in (
    (ids.IMPORT_CSV_UPLOAD, ids.IMPORT_CSV_FILE),
    (ids.IMPORT_SHIN_UPLOAD, ids.IMPORT_SHIN_FILE),
    (ids.IMPORT_FOOT_UPLOAD, ids.IMPORT_FOOT_FILE),
):

    @dash.callback(Output(_file_id, "children"), Input(_upload_id, "filename"), prevent_initial_call=True)
    def chosen_file(filename: str | None) -> str:
        """Name the file chosen (the name only: the browser never tells the server a path)."""
        return f"Chosen: {safe_filename(filename, 'file')}" if filename else "No file chosen."


@dash.callback(
    Output(ids.IMPORT_RESULT, "children"),
    Input(ids.IMPORT_BUTTON, "n_clicks"),
    State(ids.IMPORT_KIND, "data"),
    State(ids.IMPORT_LEG, "data"),
    State(ids.IMPORT_EXERCISE, "data"),
    State(ids.IMPORT_CSV_UPLOAD, "contents"),
    State(ids.IMPORT_CSV_UPLOAD, "filename"),
    State(ids.IMPORT_SHIN_UPLOAD, "contents"),
    State(ids.IMPORT_SHIN_UPLOAD, "filename"),
    State(ids.IMPORT_FOOT_UPLOAD, "contents"),
    State(ids.IMPORT_FOOT_UPLOAD, "filename"),
    prevent_initial_call=True,
)
def run_import(n_clicks: int, kind: str, leg: str, exercise: str, *uploads: Any) -> html.Div:
    """Validate the uploads and import them; show the new session or what is wrong with which file and line."""
    files = {
        "csv": Upload(uploads[0], uploads[1]),
        "shin": Upload(uploads[2], uploads[3]),
        "foot": Upload(uploads[4], uploads[5]),
    }
    try:
        session_id = import_uploads(current_data_dir(), kind, leg, exercise, files)
    except UploadError as e:
        return html.Div(
            [html.Strong("Not imported. "), html.Span(str(e), className="import-error-text")],
            className="import-error",
            role="alert",
        )
    return html.Div(
        [
            html.Strong("Imported. "),
            "New session ",
            html.Code(session_id, id="import-session-id"),
            ": ",
            dcc.Link("open it on the Sessions page", href=f"/sessions?session={session_id}"),
            " or ",
            dcc.Link("replay it", href=f"/replay?session={session_id}"),
            ".",
        ],
        className="import-ok",
    )
