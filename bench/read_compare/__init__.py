"""The parts of `bench/read_compare.py`, the side-by-side read benchmark (see its docstring).

- `common`: options, shared constants and the benchmark's one error type;
- `operations`: each operation as the hub, PostGraphile and the floor are asked it, and what
  the tables say the answer must be;
- `servers`: installing, starting, checking and stopping the servers;
- `floor`: the floor server (hand-written SQL behind a bare Starlette route);
- `load`: wrk runs in alternating rounds;
- `report`: the Markdown section with the figures, the machine and the versions;
- `profiling`: where one hub request spends its time.
"""
