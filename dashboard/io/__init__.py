"""Moving sessions in and out of dorsi: import, export (interchange CSV, OpenSim .sto) and the HTML report."""
