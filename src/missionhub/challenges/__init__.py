"""Challenge programmes and AI assurance: challenges, hidden test suites, supplier submissions,
the evaluation engine (``metrics``) and side-by-side reports."""
