"""The password hasher: Argon2id with the parameters of OWASP's Password Storage Cheat Sheet.

Django's own Argon2 defaults (m = 100 MiB, t = 2, p = 8) cost about 280 ms of CPU per login here:
0.3 % of a trivial view's throughput, and a deadline day's logins would need a core per three
logins a second. OWASP's minimum configurations are equivalent in strength against GPU cracking;
of those measured (docs/performance.md, "Read pages, draft save, login"), m = 19 MiB, t = 2, p = 1
costs about 26 ms of CPU. Hashes made with other parameters are rewritten with these at the next
successful login (Django's `must_update`, via `check_password`'s setter)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class RegistryArgon2PasswordHasher(Argon2PasswordHasher):
    """Algorithm "argon2" like Django's, so existing hashes verify and then upgrade."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB: 19 MiB
    parallelism = 1
