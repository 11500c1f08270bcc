"""One guessing policy for every password check (sign-in, invitation acceptance, re-auth).

Every check of a password goes through `check_password_guess`, which *reserves* a failure in
each limit before the password is verified and gives it back when the password was right.
A reservation is one atomic `hit()` of the `limits` library (an INCR in Redis, a locked
increment in memory), so 30 parallel wrong guesses against a limit of 5 reach the password
hash at most 5 times: the 6th and later see the counter already full and are refused without
any verification.

Three limits, checked in this order (a refused attempt gives back what it had reserved, so
being refused never extends the wait; only real failures count):

1. Per client (IP address), over all accounts: `guess_client_failures` failures per
   `guess_client_window_seconds`. Stops one client spraying guesses over many accounts
   (16 guesses over 4 accounts are refused from the 11th with the defaults).
2. Per (account, client): `guess_account_client_failures` failures, then each further failure
   doubles the wait, from `guess_first_delay_seconds` up to `guess_max_delay_seconds`. This
   is a ladder of fixed windows, all starting at the first failure: 5 failures per 1 min,
   6 per 2 min, 7 per 4 min, 8 per 8 min, 9 per 15 min (defaults). After the 5th failure the
   client waits until the first minute is over, after the 6th until the second, after the
   7th until the fourth, and so on; the steady state is 9 guesses per 15 minutes.
3. Per account, over all clients: `guess_account_failures_per_hour` (100). A ceiling much
   higher than what any one client can reach, so that a distributed guesser is still bounded.

Lockout as a weapon: a stranger failing against the owner fills only *their own* (account,
client) ladder and their own per-client budget (and never reaches the account ceiling: their
per-client limit stops them at 10 failures per 15 minutes). The owner, from any other client,
signs in at once with the right password. The only way left to shut the owner out is to fail
100 times within an hour from at least 10 different addresses; then every client is refused
until that hour's window ends (the owner sees "Too many attempts; try again in N minutes")
and a password reset (which proves the mailbox) clears the account's counters.

A correct password also clears its own (account, client) ladder, so the owner's typos do not
accumulate; it does not clear the per-client or per-account counters (it only returns its own
reservation), otherwise an attacker could reset them by signing in to an account of their own.
Unknown emails are counted exactly like existing ones: the limits tell nothing.

The client is `router.session.client_ip`, which Reflex resolves (behind reverse proxies set
`REFLEX_TRUSTED_PROXY_HOPS`, so X-Forwarded-For is believed only as far as the proxies wrote it).

Storage: Redis when `PMO_REDIS_URL` is set (production runs several processes, which must
share the counters), memory in the embedded single-process default. Keys hold hashes of the
email and the address, never either in clear, under a prefix derived from the database URL
(two deployments or two test runs sharing one Redis never share counters).

The same machinery limits sign-ups per client and mails per address (`hit_or_refuse`).
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass, field

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import FixedWindowRateLimiter

from pmo_saas.identity import security
from pmo_saas.kernel.errors import RateLimited
from pmo_saas.settings import get_settings

# Services called by trusted code (seed, CLI, tests) pass no client: no per-client limit.
INTERNAL_CLIENT = "internal"


def refusal(seconds: float) -> RateLimited:
    """The one message every refusal shows, whichever limit refused."""
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return RateLimited(f"Too many attempts; try again in {minutes} {unit}.")


@dataclass(frozen=True)
class GuessPolicy:
    account_client_failures: int = 5
    first_delay_seconds: int = 60
    max_delay_seconds: int = 900
    account_failures: int = 100
    account_window_seconds: int = 3600
    client_failures: int = 10
    client_window_seconds: int = 900

    @classmethod
    def from_settings(cls) -> GuessPolicy:
        s = get_settings()
        return cls(
            account_client_failures=s.guess_account_client_failures,
            first_delay_seconds=s.guess_first_delay_seconds,
            max_delay_seconds=s.guess_max_delay_seconds,
            account_failures=s.guess_account_failures_per_hour,
            client_failures=s.guess_client_failures,
            client_window_seconds=s.guess_client_window_seconds,
        )

    def ladder(self) -> list[RateLimitItem]:
        """(N + i) failures per (first delay x 2^i), until the window reaches the maximum."""
        rungs: list[RateLimitItem] = []
        window, extra = self.first_delay_seconds, 0
        while True:
            window = min(window, self.max_delay_seconds)
            rungs.append(
                RateLimitItemPerSecond(
                    self.account_client_failures + extra, window, namespace="guess-ac"
                )
            )
            if window >= self.max_delay_seconds:
                return rungs
            window, extra = window * 2, extra + 1


@dataclass
class _Reserved:
    item: RateLimitItem
    identifiers: tuple[str, ...]


@dataclass
class Attempt:
    """Reservations taken for one password check; settle with `succeeded` or `failed`."""

    guessing: Guessing
    reserved: list[_Reserved] = field(default_factory=list)
    ladder: list[_Reserved] = field(default_factory=list)

    def succeeded(self) -> None:
        for r in self.ladder:  # the owner's own typos from this client are forgiven
            self.guessing.limiter.clear(r.item, *r.identifiers)
        for r in self.reserved:
            self.guessing.give_back(r)

    def failed(self) -> None:
        """The reservations stay: they are the failures."""


class Guessing:
    """The counters of one storage under one policy."""

    def __init__(self, storage: Storage, policy: GuessPolicy) -> None:
        self.storage = storage
        self.policy = policy
        self.limiter = FixedWindowRateLimiter(storage)
        self._ladder = policy.ladder()
        self._client = RateLimitItemPerSecond(
            policy.client_failures, policy.client_window_seconds, namespace="guess-c"
        )
        self._account = RateLimitItemPerSecond(
            policy.account_failures, policy.account_window_seconds, namespace="guess-a"
        )

    # ------------------------------------------------------------ primitives

    def give_back(self, r: _Reserved) -> None:
        key = r.item.key_for(*r.identifiers)
        if self.storage.incr(key, r.item.get_expiry(), amount=-1) < 0:
            self.storage.clear(key)  # the window ended meanwhile: nothing to give back

    def _retry_after(self, item: RateLimitItem, *identifiers: str) -> float:
        reset = self.limiter.get_window_stats(item, *identifiers).reset_time
        return max(reset - time.time(), 1.0)

    def _hit_all(self, wanted: list[_Reserved]) -> list[_Reserved]:
        taken: list[_Reserved] = []
        for r in wanted:
            allowed = self.limiter.hit(r.item, *r.identifiers)
            taken.append(r)  # a refused hit incremented the counter too
            if not allowed:
                for t in taken:
                    self.give_back(t)
                raise refusal(self._retry_after(r.item, *r.identifiers))
        return taken

    # ------------------------------------------------------------ password guesses

    def reserve(self, *, account: str, client: str | None) -> Attempt:
        """Take one failure from every limit, or raise RateLimited having taken none."""
        account_id = _digest(account)
        client_id = _digest(client or INTERNAL_CLIENT)
        per_client = [_Reserved(self._client, (client_id,))] if client else []
        ladder = [_Reserved(item, (account_id, client_id)) for item in self._ladder]
        account_wide = [_Reserved(self._account, (account_id,))]
        taken = self._hit_all(per_client + ladder + account_wide)
        ladder_taken = [r for r in taken if r.item.namespace == "guess-ac"]
        others = [r for r in taken if r.item.namespace != "guess-ac"]
        return Attempt(self, reserved=others, ladder=ladder_taken)

    def forget_account(self, account: str) -> None:
        """After a password reset (which proves the mailbox): the account-wide count restarts."""
        self.limiter.clear(self._account, _digest(account))

    # ------------------------------------------------------------ other limits

    def hit_or_refuse(self, name: str, amount: int, seconds: int, *identifiers: str) -> None:
        """Count one event (a sign-up, a mail); RateLimited when over `amount` per `seconds`."""
        item = RateLimitItemPerSecond(amount, seconds, namespace=f"limit-{name}")
        ids = tuple(_digest(i) for i in identifiers)
        if not self.limiter.hit(item, *ids):
            raise refusal(self._retry_after(item, *ids))

    def allows(self, name: str, amount: int, seconds: int, *identifiers: str) -> bool:
        """Like `hit_or_refuse`, for callers that stay silent when over the limit."""
        try:
            self.hit_or_refuse(name, amount, seconds, *identifiers)
        except RateLimited:
            return False
        return True

    def reset(self) -> None:
        """Forget every counter (tests start each case from none)."""
        self.storage.reset()


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


# ---------------------------------------------------------------- the process's instance

_lock = threading.Lock()
_instance: dict[str, Guessing] = {}


def make_storage(redis_url: str, database_url: str) -> Storage:
    if redis_url:
        prefix = "pmo-guess-" + hashlib.sha256(database_url.encode()).hexdigest()[:12]
        return RedisStorage(redis_url, key_prefix=prefix)
    return MemoryStorage()


def guessing() -> Guessing:
    """The counters every password check of this process uses (shared through Redis)."""
    with _lock:
        if "default" not in _instance:
            settings = get_settings()
            storage = make_storage(settings.redis_url, settings.database_url)
            _instance["default"] = Guessing(storage, GuessPolicy.from_settings())
        return _instance["default"]


def uses_redis() -> bool:
    return isinstance(guessing().storage, RedisStorage)


def check_password_guess(
    *, account: str, client_ip: str | None, password_hash: str, password: str
) -> bool:
    """Verify a password under the guessing policy: the failure is reserved *before* verifying.

    `password_hash` is empty for an unknown account (verified against a dummy hash, so the
    time taken and the limits are the same). Raises RateLimited when a limit is full.
    """
    attempt = guessing().reserve(account=account, client=client_ip)
    if security.verify_password(password_hash, password):
        attempt.succeeded()
        return True
    attempt.failed()
    return False
