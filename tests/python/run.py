"""Runs the Python tests (unittest discovery in tests/python) and writes a JUnit XML report.

Usage: /usr/bin/python3 tests/python/run.py REPORT.xml  (Debian's python3: it has torch and numpy)
"""
import os
import sys
import unittest
from xml.sax.saxutils import quoteattr

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


class Recorder(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases = []  # (name, outcome, detail)

    def addSuccess(self, test):
        super().addSuccess(test)
        self.cases.append((test.id(), "passed", ""))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.cases.append((test.id(), "failure", self._exc_info_to_string(err, test)))

    def addError(self, test, err):
        super().addError(test, err)
        self.cases.append((test.id(), "error", self._exc_info_to_string(err, test)))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.cases.append((test.id(), "skipped", reason))


def main(report):
    suite = unittest.defaultTestLoader.discover(
        os.path.join(ROOT, "tests", "python"), top_level_dir=os.path.join(ROOT, "tests", "python")
    )
    result = unittest.TextTestRunner(resultclass=Recorder, verbosity=1).run(suite)
    with open(report, "w") as f:
        f.write('<?xml version="1.0"?>\n<testsuites name="python">\n')
        for name, outcome, detail in result.cases:
            f.write(f"<testcase name={quoteattr(name)}>")
            if outcome in ("failure", "error"):
                f.write(f"<{outcome} message={quoteattr(detail[-500:])}/>")
            elif outcome == "skipped":
                f.write(f"<skipped message={quoteattr(detail)}/>")
            f.write("</testcase>\n")
        f.write("</testsuites>\n")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
