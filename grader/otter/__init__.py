"""Bringing an otter-grader assignment into this grader (``grader import otter``), and grading
its OK-format test cases with the student's code kept in the sandboxed worker.

One job per module, in the order the data flows:

* :mod:`.source`: read the master notebook (through ``otter assign``'s API), the folder
  ``otter assign`` wrote, or an autograder zip, with otter's own test-file classes;
* :mod:`.emit`: write ``assignments/<name>/`` and ``reference/<name>/``: notebooks, settings and
  one test module per question, its cases as data;
* :mod:`.importer`: ``grader import otter``: the above, then the solution graded once to choose
  each case's mode (:mod:`.cases`);
* :mod:`.cases`, :mod:`.namespace`, :mod:`.doctests`: what the written tests call at grading time,
  without otter-grader: a case's doctest examples run in the trusted process against remote
  handles, or, where the solution shows that cannot work, in the worker.
"""

from .cases import run_case

__all__ = ["run_case"]
