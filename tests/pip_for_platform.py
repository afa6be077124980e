"""pip, with environment markers evaluated for another platform and Python
(tests/test_platforms.py).

    python tests/pip_for_platform.py '<marker environment as JSON>' install --dry-run --platform ... ...

`pip install --platform P --python-version V` picks wheels for P and V but evaluates
environment markers (`sys_platform == 'win32'`, `python_version < '3.11'`) against
the Python running pip, so a dependency that only Windows or only Python 3.10 needs
would be left out of the resolution. This runs pip with its marker environment
replaced by the given one, so each requirement is resolved as on P with V.
"""  # noqa: E501  (a table or a command in the docstring, kept whole)

import json
import sys

from pip._internal.cli.main import main
from pip._vendor.packaging import markers

if __name__ == "__main__":
    environment = json.loads(sys.argv[1])
    markers.default_environment = lambda: dict(environment)
    sys.exit(main(sys.argv[2:]))
