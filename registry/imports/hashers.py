"""Password hashes exported by the system being replaced (issue 15, item 3).

Only hashes are ever accepted (an import row with anything else is rejected). Django's own
PBKDF2 hashers read `pbkdf2_sha256$…` and `pbkdf2_sha1$…`; these two read salted SHA digests
(`sha1$<salt>$<hex>` is what Django itself wrote before 5.1, `salted_sha256$<salt>$<hex>` the
same with SHA-256; both are sha(salt + password)). bcrypt needs the `bcrypt` package, which this
deployment does not ship, so bcrypt hashes are refused at import. Django re-hashes with the first
hasher in PASSWORD_HASHERS (Argon2) at the first successful login, so none of these stay in use.
"""

import hashlib

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare


class _SaltedDigestHasher(BasePasswordHasher):
    digest = None

    def salt(self):  # never used to make new hashes: they are only verified and then upgraded
        return super().salt()

    def encode(self, password, salt):
        self._check_encode_args(password, salt)
        hexdigest = self.digest((salt + password).encode()).hexdigest()
        return f"{self.algorithm}${salt}${hexdigest}"

    def decode(self, encoded):
        algorithm, salt, hexdigest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": hexdigest, "salt": salt}

    def verify(self, password, encoded):
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded):
        decoded = self.decode(encoded)
        return {
            "algorithm": decoded["algorithm"],
            "salt": mask_hash(decoded["salt"], show=2),
            "hash": mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded):
        return True

    def harden_runtime(self, password, encoded):
        pass


class SaltedSHA256PasswordHasher(_SaltedDigestHasher):
    algorithm = "salted_sha256"
    digest = hashlib.sha256


class SaltedSHA1PasswordHasher(_SaltedDigestHasher):
    algorithm = "sha1"
    digest = hashlib.sha1
