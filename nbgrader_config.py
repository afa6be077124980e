"""nbgrader configuration for this course kit.

`solutions/` is nbgrader's source step and `notebooks/` its release step. The
gradebook of this checkout lives in `.nbgrader/` (git-ignored); the TA's
`python -m autograder grade` keeps its own gradebook beside its results.
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

_root = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = _root
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_root, ".nbgrader", "gradebook.db")
c.CourseDirectory.course_id = "autoencoders"

# What a student sees in place of a solution
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Generous per-cell timeout for a student running the notebook; the TA's
# grader sets its own limits per notebook
c.Execute.timeout = 300
