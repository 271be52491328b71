"""View rebuilds: replay the whole topic into shadow tables and swap them in (or rewrite the
live tables in place).

- `model`: what a rebuild is, how its state may move, the log it is recorded in
- `ports`: what running one needs from outside (shadow views, topic replay, the live worker)
- `requests`: start, follow, cancel (API and CLI)
- `runner`: run one claimed rebuild; `replaying`, `swapping`, `recording`: its parts
- `live_gate`, `watching`: the worker process's side (the gate before the live projection,
  the watcher that claims and runs requests)
"""
