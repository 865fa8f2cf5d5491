"""Quality control: the handbook's checklist, measured where it can be and laid out for the eye where not.

`take` measures one generation (pacing, freezes, loops, flicker, blacks, conform, length, audio),
`edit` one timeline (short shots, off-beat cuts, angle repeats, offline media), `pictures` and
`report` make the HTML report, `run` ties them to files and projects.
"""

from .checklist import CHECKLIST, Checklist, import_checklist, read_checklist
from .edit import qc_edit
from .findings import Finding, QcReport
from .run import project_takes, qc_file, qc_project, write_report
from .take import qc_take

__all__ = [
    "CHECKLIST", "Checklist", "Finding", "QcReport", "import_checklist", "project_takes",
    "qc_edit", "qc_file", "qc_project", "qc_take", "read_checklist", "write_report",
]
