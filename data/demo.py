"""The demo company: a deterministic French B2B sales team whose figures tell four clear stories.

Atelier Numérique SAS (Lyon) sells business software and services (ERP suite, CRM module, cloud pack
for small firms, custom integration, training, premium support) to ~400 French companies through
12 reps in three teams: "Grands comptes" (segment Or), "PME Nord" and "PME Sud" (segments Argent and
Bronze). Two years of history end at DEMO_TODAY (a Monday), with six weekly snapshots of the pipeline
so that "what changed since last upload" and forecast reliability have something to show.

Ratios follow the seed articles: about 10 % of opportunities end won (Kestio's B2B average), about
one call in five reaches a decision maker (Sparklane), proposals win a bit under the 30 % goal.

The stories a consultant can show (tests/test_demo.py checks each one in the generated frames):

1. Bronze costs more to win than it brings. Bronze gets the largest marketing budget and lots of
   calls, meetings and e-mails, for baskets of 3-8 k€ at a ~28 % margin: its customer acquisition
   cost (marketing + cost of sales time, per deal won) is above the margin of a won Bronze deal,
   while Or and Argent pay for themselves.
2. Julien Moreau (PME Nord) holds many meetings with prospects outside the target (in_target
   False): the highest share of out-of-target meetings of the team and the lowest win rate.
   Kestio's example: reps measured on meetings book them with the wrong prospects.
3. Camille Lefèvre (Grands comptes) has the strongest open pipeline of the team (raw and weighted)
   but a poor current month: her deals due this month slipped into the coming weeks, so she has won
   nothing this month against a ~60-70 k€ quota, with more than three times that due within six
   weeks. The rest of the team is on its way by the 23rd (most reps at 75-130 % of their monthly
   quota, Julien Moreau at about half, see `_Deals._month_so_far`): the team still has quota left to
   cover, and her gap is by far the largest.
4. Thomas Girard (PME Sud) announces probabilities that are too optimistic: in past snapshots his
   probabilities sit well above the stage defaults, yet his deals are lost more often than the
   team's (worst Brier score; mean announced probability on deals later lost above the team's).

Background differences a manager should explain before judging skills: Léa Chevalier joined seven
months ago and Hugo Blanc eighteen months ago (seniority); "Grands comptes" sells fewer, larger deals
and has the longest cycle; Chloé Guérin's Occitanie portfolio holds many out-of-target accounts.

Conventions of the frames (the store's canonical columns, see analytics/schema.py and store.py):
`stage` holds the canonical key; a lost deal keeps the stage where it was lost (Pipedrive style),
with status 'lost'; `crm_stage` is the French CRM name of that stage and `stage_order` its order.
stage_history has one row per stage entered, plus a final 'won' or 'lost' row at the close.
Dates are pandas datetime64 (days for DATE columns, minutes for activity timestamps).
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from analytics import schema, store
from analytics.measures import derived

DEMO_TODAY = date(2026, 11, 23)  # a Monday: the weekly review day
COMPANY = "Atelier Numérique SAS"
HISTORY_DAYS = 730  # two years of history end at today
WARMUP_DAYS = 150  # deals created before the window so that its first months are not empty
SNAPSHOT_WEEKS = 6

SEGMENTS = ("Or", "Argent", "Bronze")
SOURCES = ("Marketing", "Prospection", "Recommandation", "Salon")
LOST_REASONS = ("Prix", "Concurrent", "Pas de budget", "Projet abandonné", "Pas de réponse")
PRODUCTS = ("Suite ERP", "Module CRM", "Pack Cloud PME", "Intégration sur mesure", "Formation", "Support Premium")
CRM_STAGE_NAMES = {
    "lead": "Prospection", "qualification": "Qualification", "proposal": "Proposition",
    "negotiation": "Négociation", "won": "Gagnée", "lost": "Perdue",
}
OPEN_KEYS = ("lead", "qualification", "proposal", "negotiation")

STORY_SEGMENT = "Bronze"
OUTSIDE_TARGET_REP = "Julien Moreau"
POOR_MONTH_REP = "Camille Lefèvre"
OPTIMISTIC_REP = "Thomas Girard"

TEAMS = {"Grands comptes": "Hélène Marchand", "PME Nord": "Olivier Garnier", "PME Sud": "Nathalie Perrin"}
# owner, team, region, hire date, hourly cost (€), skill (multiplies the later conversions)
REPS = (
    ("Camille Lefèvre", "Grands comptes", "Île-de-France", date(2019, 9, 2), 62.0, 1.05),
    ("Antoine Dubois", "Grands comptes", "Île-de-France", date(2017, 1, 9), 70.0, 1.12),
    ("Isabelle Roux", "Grands comptes", "Auvergne-Rhône-Alpes", date(2021, 4, 6), 58.0, 1.0),
    ("Nicolas Mercier", "Grands comptes", "Provence-Alpes-Côte d'Azur", date(2022, 10, 3), 52.0, 0.95),
    ("Julien Moreau", "PME Nord", "Hauts-de-France", date(2023, 2, 6), 45.0, 0.95),
    ("Sarah Lambert", "PME Nord", "Île-de-France", date(2020, 6, 15), 48.0, 1.08),
    ("Maxime Fontaine", "PME Nord", "Hauts-de-France", date(2024, 1, 8), 40.0, 0.97),
    ("Léa Chevalier", "PME Nord", "Grand Est", date(2026, 4, 13), 35.0, 1.0),
    ("Thomas Girard", "PME Sud", "Provence-Alpes-Côte d'Azur", date(2021, 9, 13), 50.0, 0.92),
    ("Manon Faure", "PME Sud", "Auvergne-Rhône-Alpes", date(2018, 3, 5), 55.0, 1.1),
    ("Hugo Blanc", "PME Sud", "Nouvelle-Aquitaine", date(2025, 5, 5), 38.0, 0.92),
    ("Chloé Guérin", "PME Sud", "Occitanie", date(2017, 11, 20), 57.0, 1.05),
)
TEAM_REGIONS = {
    "PME Nord": ("Hauts-de-France", "Île-de-France", "Grand Est", "Normandie"),
    "PME Sud": ("Provence-Alpes-Côte d'Azur", "Auvergne-Rhône-Alpes", "Nouvelle-Aquitaine", "Occitanie"),
}
ALL_REGIONS = TEAM_REGIONS["PME Nord"] + TEAM_REGIONS["PME Sud"]
TEAM_SEGMENTS = {"Grands comptes": ("Or", "Argent"), "PME Nord": ("Argent", "Bronze"), "PME Sud": ("Argent", "Bronze")}

# Per segment (Or, Argent, Bronze).
SOURCE_MIX = np.array([[0.15, 0.40, 0.25, 0.20], [0.30, 0.35, 0.20, 0.15], [0.55, 0.25, 0.10, 0.10]])
PRODUCT_MIX = np.array([
    [0.35, 0.15, 0.00, 0.30, 0.00, 0.20],
    [0.20, 0.35, 0.20, 0.00, 0.10, 0.15],
    [0.00, 0.20, 0.50, 0.00, 0.20, 0.10],
])
AMOUNT_TRIANGLE = np.array([[40_000, 52_000, 90_000], [12_000, 17_000, 30_000], [3_000, 4_500, 8_000]])
MARGIN_SHARE = np.array([0.45, 0.40, 0.28])
# Median days spent in lead, qualification, proposal, negotiation.
STAGE_DAYS = np.array([[30, 24, 26, 20], [20, 14, 16, 12], [12, 7, 8, 6]], dtype=float)
PLANNED_CYCLE = np.array([110, 70, 40])
# Conversion lead->qualification, qualification->proposal, proposal->negotiation, negotiation->won.
BASE_CONVERSION = np.array([0.62, 0.70, 0.58, 0.43])
# Activities expected per stage passed (lead..negotiation), per segment.
STAGE_ACTIVITIES = np.array([[4.0, 7.0, 9.0, 7.0], [3.0, 4.0, 5.0, 4.0], [3.0, 5.0, 5.0, 4.0]])
ACTIVITY_TYPES = schema.ACTIVITY_TYPES  # call, email, meeting, video meeting, demo, other
# Type mix of the activities of each stage (rows lead..negotiation, columns ACTIVITY_TYPES).
STAGE_TYPE_MIX = np.array([
    [0.55, 0.33, 0.06, 0.02, 0.00, 0.04],
    [0.30, 0.30, 0.22, 0.14, 0.00, 0.04],
    [0.20, 0.30, 0.14, 0.12, 0.20, 0.04],
    [0.30, 0.35, 0.22, 0.10, 0.00, 0.03],
])
PROSPECTING_CALLS_PER_DAY = {"Grands comptes": 2.5, "PME Nord": 5.0, "PME Sud": 5.0}
DECISION_MAKER = "Décideur joint"


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def _months(first: date, last: date) -> list[date]:
    """First days of the months from the month of `first` to the month of `last`."""
    out, m = [], _month_start(first)
    while m <= last:
        out.append(m)
        m = _next_month(m)
    return out


def _quota_months(hire: date, months: list[date]) -> list[date]:
    """The months a rep has a quota: from the first full month after their hiring."""
    first = _next_month(hire) if hire.day > 1 else hire
    return [m for m in months if m >= first]


def _quota_growth(i: int, n: int) -> float:
    """Quotas rise ~12 % a year, like the business: factor of the i-th of a rep's n months."""
    return 1 + 0.12 * (i - n / 2) / 12


def _pick(rng, probs: np.ndarray) -> np.ndarray:
    """One category index per row of `probs` (rows sum to 1)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None]
    return np.minimum((u > cum).sum(axis=1), probs.shape[1] - 1)


class _Company:
    """Reps and accounts: who sells to whom."""

    def __init__(self, rng, today: date):
        self.origin = today - timedelta(days=HISTORY_DAYS)
        self.reps = pd.DataFrame(
            [(o, t, TEAMS[t], r, h, c) for o, t, r, h, c, _ in REPS],
            columns=schema.column_names("reps"),
        )
        self.reps["hire_date"] = pd.to_datetime(self.reps["hire_date"]).astype("datetime64[s]")
        self.skill = np.array([s for *_, s in REPS])
        self.rep_team = np.array([t for _, t, *_ in REPS])
        self.rep_region = np.array([r for _, _, r, *_ in REPS])
        self._accounts(rng)
        # How demanding each rep's quotas are: won / quota comes out around 1 / stretch.
        self.stretch = rng.uniform(0.9, 1.04, len(REPS))

    def _accounts(self, rng):
        n_or, n_argent, n_bronze = 80, 140, 180
        seg = np.repeat([0, 1, 2], [n_or, n_argent, n_bronze])
        n = len(seg)
        self.acc_name = _account_names(rng, seg)
        self.acc_segment = seg
        self.acc_in_target = rng.random(n) < np.array([0.85, 0.8, 0.75])[seg]
        team = np.where(seg == 0, "Grands comptes", "PME")
        team = np.where((seg == 1) & (rng.random(n) < 0.25), "Grands comptes", team)
        north = rng.random(n) < 0.5
        team = np.where(team == "PME", np.where(north, "PME Nord", "PME Sud"), team)
        region = np.empty(n, dtype=object)
        gc_regions = np.array(ALL_REGIONS)
        gc_weights = np.array([0.12, 0.34, 0.06, 0.06, 0.12, 0.16, 0.07, 0.07])
        for t in ("Grands comptes", "PME Nord", "PME Sud"):
            m = team == t
            if t == "Grands comptes":
                region[m] = rng.choice(gc_regions, size=m.sum(), p=gc_weights)
            else:
                region[m] = rng.choice(np.array(TEAM_REGIONS[t]), size=m.sum(), p=[0.4, 0.25, 0.2, 0.15])
        self.acc_team = team
        self.acc_region = region
        # Each account has one owner in its team, preferably the rep of its region.
        owner = np.empty(n, dtype=int)
        for i in range(n):
            reps = np.flatnonzero(self.rep_team == team[i])
            w = np.where(self.rep_region[reps] == region[i], 3.0, 1.0)
            owner[i] = rng.choice(reps, p=w / w.sum())
        self.acc_owner = owner


_PREFIXES = ("Transports", "Menuiserie", "Imprimerie", "Laboratoires", "Cabinet", "Garage", "Brasserie",
             "Logistique", "Bâtiment", "Métallerie", "Pharmacie", "Clinique", "Agence", "Hôtellerie",
             "Boulangeries", "Plasturgie", "Fonderie", "Conseil", "Distribution", "Ateliers", "Chaudronnerie",
             "Électricité", "Paysages", "Optique", "Maroquinerie", "Fromagerie", "Scierie", "Textiles")
_FAMILIES = ("Martin", "Bernard", "Durand", "Petit", "Leroy", "Moreau", "Simon", "Laurent", "Michel", "Garcia",
             "David", "Bertin", "Roussel", "Vincent", "Fournier", "Morel", "Girardot", "André", "Mercadier",
             "Lefort", "Rolland", "Bonnet", "Dupuis", "Lemaire", "Barbier", "Carpentier", "Vidal", "Renaud",
             "Picard", "Aubert", "Colin", "Brunet", "Meunier", "Caron", "Gauthier", "Perret")
_GROUPS = ("Groupe {f}", "{f} Industrie", "{f} & Fils", "Groupe {f} Distribution", "{f} International",
           "Holding {f}")
_FORMS = ("SAS", "SARL", "SA", "EURL", "")


def _account_names(rng, seg: np.ndarray) -> np.ndarray:
    """Distinct French company names; the large ones (Or) sound like groups."""
    small = [f"{p} {f}" for p in _PREFIXES for f in _FAMILIES]
    large = [g.format(f=f) for g in _GROUPS for f in _FAMILIES]
    n_large = int((seg == 0).sum())
    large_pick = rng.choice(len(large), size=n_large, replace=False)
    small_pick = rng.choice(len(small), size=len(seg) - n_large, replace=False)
    forms = rng.choice(len(_FORMS), size=len(seg))
    names = [large[i] for i in large_pick] + [small[i] for i in small_pick]
    return np.array([f"{n} {_FORMS[f]}".strip() for n, f in zip(names, forms)], dtype=object)


class _Deals:
    """Every opportunity's whole destiny (stage entries, close, outcome), including after today.

    A snapshot at day d is this destiny cut at d: what had happened by then, nothing after.
    Days are integers counted from the window's first day (today - HISTORY_DAYS).
    """

    FAR = 10**6

    def __init__(self, rng, co: _Company, today: date):
        self.co = co
        self.today_day = HISTORY_DAYS
        self.origin = co.origin
        self.month_start_day = (_month_start(today) - self.origin).days
        self._create(rng)
        self._destiny(rng)
        self._fields(rng)

    def _create(self, rng):
        co, origin = self.co, self.origin
        rep_idx, created = [], []
        for r, (owner, team, _region, hire, *_x) in enumerate(REPS):
            hire_day = (hire - origin).days
            start = max(-WARMUP_DAYS, hire_day + 14)
            per_year = 150 if team == "Grands comptes" else 200
            n = int(per_year * (self.today_day - start) / 365)
            days = _creation_days(rng, start, self.today_day, n, origin)
            if owner == POOR_MONTH_REP:  # a strong recent pipeline
                days = np.concatenate([days, rng.integers(self.today_day - 80, self.today_day + 1, 40)])
            rep_idx.append(np.full(len(days), r))
            created.append(days)
        rep = np.concatenate(rep_idx)
        created = np.concatenate(created)
        order = np.lexsort((rep, created))
        self.rep, self.created = rep[order], created[order]
        n = len(self.rep)
        # Account: one of the rep's own; the outside-target rep favours prospects outside the target.
        acc = np.empty(n, dtype=int)
        outside_rep = [o for o, *_ in REPS].index(OUTSIDE_TARGET_REP)
        for r in range(len(REPS)):
            m = self.rep == r
            own = np.flatnonzero(co.acc_owner == r)
            w = np.ones(len(own))
            if r == outside_rep:
                w = np.where(co.acc_in_target[own], 1.0, 10.0)
            acc[m] = rng.choice(own, size=m.sum(), p=w / w.sum())
        self.acc = acc
        self.seg = co.acc_segment[acc]
        self.in_target = co.acc_in_target[acc]
        lo, mode, hi = AMOUNT_TRIANGLE[self.seg].T
        self.amount = np.round(rng.triangular(lo, mode, hi) / 100) * 100

    def _destiny(self, rng):
        n, seg = len(self.rep), self.seg
        self.source = _pick(rng, SOURCE_MIX[seg])
        p = np.tile(BASE_CONVERSION, (n, 1))
        p[:, 0] *= np.array([0.85, 0.95, 1.25, 1.0])[self.source]  # referrals convert, campaigns less
        p[:, 1] *= np.where(self.source == 2, 1.15, 1.0)
        p[:, 0] *= np.where(self.in_target, 1.0, 0.35)
        p[:, 1] *= np.where(self.in_target, 1.0, 0.55)
        p[:, 2] *= np.where(self.in_target, 1.0, 0.75)
        p[:, 1:] *= self.co.skill[self.rep][:, None]
        p = np.clip(p, 0.02, 0.95)
        # Stratified draws per rep: each rep's conversions land close to what their rates imply, so the
        # stories come from the rates, not from the luck of a few hundred draws.
        u = np.empty((n, 4))
        for r in range(len(REPS)):
            m = np.flatnonzero(self.rep == r)
            for k in range(4):
                u[m, k] = (rng.permutation(len(m)) + rng.random(len(m))) / len(m)
        reached = np.ones((n, 4), dtype=bool)
        for k in range(1, 4):
            reached[:, k] = reached[:, k - 1] & (u[:, k - 1] < p[:, k - 1])
        self.won = reached[:, 3] & (u[:, 3] < p[:, 3])
        self.last = reached.sum(axis=1) - 1  # index of the last open stage reached
        dur = np.maximum(1, np.round(STAGE_DAYS[seg] * rng.lognormal(0.0, 0.75, (n, 4)))).astype(int)
        entries = np.full((n, 4), self.FAR, dtype=np.int64)
        entries[:, 0] = self.created
        for k in range(1, 4):
            entries[:, k] = np.where(reached[:, k], entries[:, k - 1] + dur[:, k - 1], self.FAR)
        rows = np.arange(n)
        # A lost deal lingers before it is declared lost; some linger very long (stuck deals).
        linger = np.maximum(1, np.round(1.6 * STAGE_DAYS[seg, self.last] * rng.lognormal(0.0, 0.8, n)))
        linger = np.where(rng.random(n) < 0.08, linger * 5, linger).astype(np.int64)
        self.close = entries[rows, self.last] + np.where(self.won, dur[rows, 3], linger)
        # The poor-month rep: her deals due this month slip into the coming weeks.
        rep_poor = [o for o, *_ in REPS].index(POOR_MONTH_REP)
        slip = rng.integers(4, 38, n)
        due_now = (self.rep == rep_poor) & self.won & (self.close >= self.month_start_day) \
            & (self.close <= self.today_day)
        self.close = np.where(due_now, self.today_day + slip, self.close)
        self.entries = entries
        self._month_so_far(rng, rep_poor)
        # Keep what the window shows: deals still open at its start or created in it.
        keep = self.close >= 0
        for name in ("rep", "created", "acc", "seg", "in_target", "source", "won", "last", "close", "amount"):
            setattr(self, name, getattr(self, name)[keep])
        self.entries = self.entries[keep]

    def _month_so_far(self, rng, rep_poor: int):
        """The other reps stand at 80-100 % of their monthly quota by today, so that the poor month stands
        out while the team still has part of its quota to cover (the coverage figures need it).

        Wins are lumpy: left alone, some reps would show nothing won by the 23rd and others twice their
        month. The latest wins of a rep far ahead slip into the coming weeks; a rep behind signs a few
        weeks earlier the open deals they were going to win, else their most advanced open deals.
        """
        start, today, e = self.month_start_day, self.today_day, self.entries
        months = _months(_next_month(self.origin), self.origin + timedelta(days=today))
        for r, (_owner, _team, _region, hire, *_x) in enumerate(REPS):
            if r == rep_poor:
                continue
            mine = self.rep == r
            # This month's quota as _targets will set it: the mean won of the full months before it.
            rep_months = _quota_months(hire, months)
            first = (rep_months[0] - self.origin).days
            past = mine & self.won & (self.close >= first) & (self.close < start)
            quota = self.amount[past].sum() / max(len(rep_months) - 1, 1) \
                * _quota_growth(len(rep_months) - 1, len(rep_months)) / self.co.stretch[r]
            low, high = quota * rng.uniform(0.82, 0.95), quota
            this_month = np.flatnonzero(mine & self.won & (self.close >= start) & (self.close <= today))
            done = self.amount[this_month].sum()
            for i in this_month[np.argsort(-self.close[this_month], kind="stable")]:
                if done <= high:
                    break
                self.close[i] = today + rng.integers(3, 30)
                done -= self.amount[i]
            coming = np.flatnonzero(mine & (self.close > today) & (self.created < today - 10))
            stage_now = (e[coming] <= today).sum(axis=1)
            order = np.lexsort((self.close[coming], -stage_now, ~self.won[coming]))
            for i in coming[order]:
                if done >= low:
                    break
                if done + self.amount[i] > 1.1 * high:  # too large for this month: it stays open
                    continue
                self.won[i], self.last[i] = True, 3
                self.close[i] = close = rng.integers(max(start, self.created[i] + 8), today + 1)
                for k in (1, 2, 3):  # the stages went quicker, still one after the other
                    latest = close - (4 - k)
                    if e[i, k] > latest:
                        e[i, k] = rng.integers(e[i, k - 1] + 1, latest + 1)
                done += self.amount[i]

    def _fields(self, rng):
        n, seg = len(self.rep), self.seg
        self.ids = np.array([f"OPP-{10001 + i}" for i in range(n)], dtype=object)
        self.product = _pick(rng, PRODUCT_MIX[seg])
        self.margin_share = np.clip(MARGIN_SHARE[seg] + rng.normal(0, 0.04, n), 0.1, 0.7)
        # A few amounts change during the snapshot weeks (re-quoted deals).
        change = rng.random(n) < 0.08
        self.change_day = np.where(change, rng.integers(self.today_day - 7 * (SNAPSHOT_WEEKS - 1) + 1,
                                                        self.today_day + 1, n), self.FAR)
        self.change_day = np.where((self.close > self.change_day) & (self.created < self.change_day),
                                   self.change_day, self.FAR)
        factor = rng.choice(np.array([0.8, 0.9, 1.15, 1.3]), n)
        self.amount_before = np.round(self.amount / factor / 100) * 100
        # Expected close date as first entered; most reps move it when it passes, some never do.
        self.planned = self.created + np.round(PLANNED_CYCLE[seg] * rng.uniform(0.6, 1.3, n)).astype(np.int64)
        self.planned = np.where(self.won & (self.close > self.today_day), self.close, self.planned)
        self.neglected = rng.random(n) < 0.35
        # Announced probability: the stage default, the rep's habit, the deal's own noise.
        habit = rng.normal(0, 0.03, len(REPS))
        habit[[o for o, *_ in REPS].index(OPTIMISTIC_REP)] = 0.3
        self.prob_offset = habit[self.rep] + rng.normal(0, 0.05, n)
        reasons_in = np.array([0.30, 0.25, 0.18, 0.10, 0.17])
        reasons_out = np.array([0.12, 0.08, 0.38, 0.22, 0.20])
        self.reason = _pick(rng, np.where(self.in_target[:, None], reasons_in, reasons_out))
        self.hour = rng.integers(8, 18, n)

    def days_to_dates(self, days: np.ndarray) -> np.ndarray:
        return (np.datetime64(self.origin, "D") + days.astype("timedelta64[D]")).astype("datetime64[s]")

    def state_at(self, day: int) -> pd.DataFrame:
        """The opportunities as the CRM export of that day shows them."""
        m = self.created <= day
        e, close, won = self.entries[m], self.close[m], self.won[m]
        closed = close <= day
        open_idx = (e <= day).sum(axis=1) - 1
        stage_idx = np.where(closed, self.last[m], open_idx)
        open_keys = np.array(OPEN_KEYS, dtype=object)
        stage = np.where(closed & won, "won", open_keys[stage_idx]).astype(object)
        status = np.where(closed, np.where(won, "won", "lost"), "open").astype(object)
        crm_stage = np.array([CRM_STAGE_NAMES[s] for s in stage], dtype=object)
        stage_order = np.array([schema.STAGE_BY_KEY[s].order for s in stage], dtype=np.int64)
        default_p = np.array([0.10, 0.25, 0.50, 0.75])[stage_idx]
        prob = np.clip(np.round((default_p + self.prob_offset[m]) * 20) / 20, 0.05, 0.95)
        prob = np.where(closed, np.where(won, 1.0, 0.0), prob)
        planned = self.planned[m]
        moved = planned + 30 * np.ceil(np.maximum(day - planned, 0) / 30).astype(np.int64)
        expected = np.where(self.neglected[m], planned, moved)
        close_day = np.where(closed, close, expected)
        amount = np.where(day >= self.change_day[m], self.amount[m], self.amount_before[m])
        acc = self.acc[m]
        account = self.co.acc_name[acc]
        product = np.array(PRODUCTS, dtype=object)[self.product[m]]
        reason = np.where(closed & ~won, np.array(LOST_REASONS, dtype=object)[self.reason[m]], None)
        df = pd.DataFrame({
            "opportunity_id": self.ids[m],
            "name": product + " – " + account,
            "account": account,
            "owner": np.array([o for o, *_ in REPS], dtype=object)[self.rep[m]],
            "segment": np.array(SEGMENTS, dtype=object)[self.seg[m]],
            "source": np.array(SOURCES, dtype=object)[self.source[m]],
            "stage": stage,
            "status": status,
            "amount": amount.astype(float),
            "probability": prob,
            "created_date": self.days_to_dates(self.created[m]),
            "close_date": self.days_to_dates(close_day),
            # the demo's CRM keeps one close date: the expected one while open, the real one once closed
            "closed_date": pd.Series(self.days_to_dates(close_day)).where(closed).to_numpy(),
            "margin": np.round(amount * self.margin_share[m]),
            "lost_reason": reason,
            "region": self.co.acc_region[acc],
            "product": product,
            "in_target": self.in_target[m].astype(bool),
            "crm_stage": crm_stage,
            "stage_order": stage_order,
        })
        return df.reset_index(drop=True)

    def stage_history(self) -> pd.DataFrame:
        """One row per stage entered by today, plus the close ('won' or 'lost') when it happened."""
        day = self.today_day
        pos, stages, days = [], [], []
        for k, key in enumerate(OPEN_KEYS):
            m = np.flatnonzero(self.entries[:, k] <= day)
            pos.append(m), stages.append(np.full(len(m), key, dtype=object)), days.append(self.entries[m, k])
        m = np.flatnonzero(self.close <= day)
        pos.append(m), stages.append(np.where(self.won[m], "won", "lost").astype(object)), days.append(self.close[m])
        pos, stages, days = np.concatenate(pos), np.concatenate(stages), np.concatenate(days)
        ids = self.ids[pos]
        # Stage changes happen in office hours; durations of a day or more keep them in order.
        entered = self.days_to_dates(days) + self.hour[pos].astype("timedelta64[h]")
        df = pd.DataFrame({
            "opportunity_id": ids,
            "stage": stages,
            "entered_at": entered,
            "crm_stage": np.array([CRM_STAGE_NAMES[s] for s in stages], dtype=object),
            "stage_order": np.array([schema.STAGE_BY_KEY[s].order for s in stages], dtype=np.int64),
        })
        return df.sort_values(["entered_at", "opportunity_id"], kind="stable").reset_index(drop=True)


def _creation_days(rng, start: int, end: int, n: int, origin: date) -> np.ndarray:
    """n creation days in [start, end], growing ~12 % a year, quieter in August and late December."""
    cand = rng.integers(start, end + 1, 4 * n + 16)
    dates = np.datetime64(origin, "D") + cand.astype("timedelta64[D]")
    month = dates.astype("datetime64[M]").astype(int) % 12 + 1
    weight = (1 + 0.12 * cand / 365) * np.where(month == 8, 0.5, np.where(month == 12, 0.8, 1.0))
    keep = rng.random(len(cand)) < weight / weight.max()
    return np.sort(cand[keep][:n])


def _activities(rng, deals: _Deals, co: _Company) -> pd.DataFrame:
    """Activities of each stage each deal went through, plus the reps' prospecting calls."""
    today = deals.today_day
    rep_names = np.array([o for o, *_ in REPS], dtype=object)
    outside_rep = list(rep_names).index(OUTSIDE_TARGET_REP)
    n = len(deals.rep)
    parts = []  # (deal index, day, activity type index)
    for k in range(4):
        start = deals.entries[:, k]
        nxt = deals.entries[:, k + 1] if k < 3 else np.full(n, _Deals.FAR)
        end = np.minimum(np.minimum(nxt, deals.close), today + 1)
        live = start <= today
        length = np.maximum(end - start, 1)
        typical = STAGE_DAYS[deals.seg, k]
        lam = STAGE_ACTIVITIES[deals.seg, k] * np.clip(length / typical, 0.3, 1.6)
        counts = np.where(live, rng.poisson(lam), 0)
        idx = np.repeat(np.arange(n), counts)
        day = start[idx] + np.floor(rng.random(len(idx)) * length[idx]).astype(np.int64)
        kind = _pick(rng, np.tile(STAGE_TYPE_MIX[k], (len(idx), 1)))
        parts.append((idx, day, kind))
        if k < 2:  # the outside-target rep books extra meetings early in the deal
            extra = np.where(live & (deals.rep == outside_rep), rng.poisson(1.6, n), 0)
            idx = np.repeat(np.arange(n), extra)
            day = start[idx] + np.floor(rng.random(len(idx)) * length[idx]).astype(np.int64)
            parts.append((idx, day, np.full(len(idx), ACTIVITY_TYPES.index("meeting"))))
    idx = np.concatenate([p[0] for p in parts])
    day = np.concatenate([p[1] for p in parts])
    kind = np.concatenate([p[2] for p in parts])
    acc, rep, opp = deals.acc[idx], deals.rep[idx], deals.ids[idx]
    # Prospecting calls, not tied to an opportunity: accounts of the rep's own portfolio.
    p_acc, p_rep, p_day = [], [], []
    for r, (owner, team, _region, hire, *_x) in enumerate(REPS):
        first = max(0, (hire - deals.origin).days)
        days = np.arange(first, today + 1)
        days = days[_weekday(deals.origin, days) < 5]
        counts = rng.poisson(PROSPECTING_CALLS_PER_DAY[team], len(days))
        cday = np.repeat(days, counts)
        own = np.flatnonzero(co.acc_owner == r)
        w = np.ones(len(own)) if r != outside_rep else np.where(co.acc_in_target[own], 1.0, 4.0)
        # Bronze prospects are called most: the effort of story 1.
        w = w * np.where(co.acc_segment[own] == 2, 1.6, 1.0)
        p_acc.append(rng.choice(own, size=len(cday), p=w / w.sum()))
        p_rep.append(np.full(len(cday), r))
        p_day.append(cday)
    n_p = sum(len(d) for d in p_day)
    acc = np.concatenate([acc, *p_acc])
    rep = np.concatenate([rep, *p_rep])
    day = np.concatenate([day, *p_day])
    kind = np.concatenate([kind, np.zeros(n_p, dtype=int)])
    opp = np.concatenate([opp, np.full(n_p, None, dtype=object)])
    linked = np.concatenate([np.ones(len(idx), dtype=bool), np.zeros(n_p, dtype=bool)])
    # Working days only, inside the window.
    wd = _weekday(deals.origin, day)
    day = np.where(wd == 5, day - 1, np.where(wd == 6, np.where(day + 1 > today, day - 2, day + 1), day))
    keep = (day >= 0) & (day <= today)
    acc, rep, day, kind, opp, linked = acc[keep], rep[keep], day[keep], kind[keep], opp[keep], linked[keep]
    m = len(day)
    types = np.array(ACTIVITY_TYPES, dtype=object)[kind]
    low = np.array([1, 1, 9, 6, 12, 2])[kind]
    high = np.array([4, 1, 24, 12, 18, 6])[kind]
    duration = rng.integers(low, high + 1) * 5.0
    minutes = 8 * 60 + rng.integers(0, 120, m) * 5
    stamp = deals.days_to_dates(day).astype("datetime64[m]") + minutes.astype("timedelta64[m]")
    u = rng.random(m)
    call_dm = np.where(linked, 0.26, 0.18)  # Sparklane: about one call in five reaches the decision maker
    outcome = np.select(
        [kind == 0, kind == 1, kind == 5],
        [np.where(u < call_dm, DECISION_MAKER, np.where(u < 0.7, "Pas de réponse", "Messagerie")),
         np.full(m, "Envoyé", dtype=object), np.full(m, "Fait", dtype=object)],
        np.where(u < 0.92, "Réalisé", "Annulé"),
    ).astype(object)
    df = pd.DataFrame({
        "date": stamp.astype("datetime64[s]"),
        "owner": rep_names[rep],
        "type": types,
        "account": co.acc_name[acc],
        "segment": np.array(SEGMENTS, dtype=object)[co.acc_segment[acc]],
        "opportunity_id": opp,
        "duration_minutes": duration,
        "outcome": outcome,
    })
    df = df.sort_values(["date", "owner"], kind="stable").reset_index(drop=True)
    df.insert(0, "activity_id", [f"ACT-{i:06d}" for i in range(1, len(df) + 1)])
    return df


def _weekday(origin: date, days: np.ndarray) -> np.ndarray:
    return (origin.weekday() + days) % 7


def _period_frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for c in ("period_start", "period_end"):
        df[c] = pd.to_datetime(df[c]).astype("datetime64[s]")
    return df


def _targets(co: _Company, opportunities: pd.DataFrame, activities: pd.DataFrame, months: list[date],
             today: date) -> pd.DataFrame:
    """Monthly quota per rep and segment, set from what the rep wins (team attainment near 95 %)."""
    won = opportunities[opportunities["status"] == "won"]
    won_month = won["close_date"].dt.strftime("%Y-%m")
    act_month = activities["date"].dt.strftime("%Y-%m")
    current = today.strftime("%Y-%m")
    rows = []
    for r, (owner, team, _region, hire, *_x) in enumerate(REPS):
        rep_months = _quota_months(hire, months)
        full = [m.strftime("%Y-%m") for m in rep_months if m.strftime("%Y-%m") != current]
        for segment in TEAM_SEGMENTS[team]:
            sel = (won["owner"] == owner) & (won["segment"] == segment)
            by_month = won.loc[sel, "amount"].groupby(won_month[sel]).sum()
            mean_won = by_month.reindex(full, fill_value=0.0).mean()
            asel = (activities["owner"] == owner) & (activities["segment"] == segment)
            acts = activities.loc[asel].groupby(act_month[asel]).size().reindex(full, fill_value=0).mean()
            for i, m in enumerate(rep_months):
                growth = _quota_growth(i, len(rep_months))
                quota = max(500.0, round(mean_won * growth / co.stretch[r] / 500) * 500)
                planned = int(round(acts * 1.1))
                rows.append((owner, m.strftime("%Y-%m"), quota, segment, planned, m,
                             _next_month(m) - timedelta(days=1)))
    cols = schema.column_names("targets") + ["period_start", "period_end"]
    df = _period_frame(rows, cols)
    df["planned_activities"] = df["planned_activities"].astype(float)
    return df


def _marketing(rng, months: list[date]) -> pd.DataFrame:
    """Monthly spend per segment and source: Bronze gets the largest budget (story 1)."""
    monthly = {"Or": 3500, "Argent": 3000, "Bronze": 11000}
    fairs = {"Or": 18000, "Argent": 5000, "Bronze": 9000}
    rows = []
    for m in months:
        period, end = m.strftime("%Y-%m"), _next_month(m) - timedelta(days=1)
        for s in SEGMENTS:
            amount = round(monthly[s] * rng.uniform(0.85, 1.15) / 10) * 10.0
            rows.append((period, s, "Marketing", amount, m, end))
            if m.month in (3, 6, 10):  # trade fairs in March, June and October
                rows.append((period, s, "Salon", round(fairs[s] * rng.uniform(0.9, 1.1) / 10) * 10.0, m, end))
    cols = schema.column_names("marketing_spend") + ["period_start", "period_end"]
    return _period_frame(rows, cols)


def generate(seed: int = 7, today: date = DEMO_TODAY) -> dict:
    """The demo company's canonical tables, plus 'snapshots': [(date, opportunities that day)] weekly, oldest first.

    Same seed and today, same frames. 'opportunities' is the latest snapshot.
    """
    rng = np.random.default_rng(seed)
    co = _Company(rng, today)
    deals = _Deals(rng, co, today)
    snapshots = []
    for w in range(SNAPSHOT_WEEKS - 1, -1, -1):
        snapshots.append((today - timedelta(weeks=w), deals.state_at(deals.today_day - 7 * w)))
    opportunities = snapshots[-1][1]
    activities = _activities(rng, deals, co)
    months = _months(_next_month(co.origin), today)
    return {
        "opportunities": opportunities,
        "activities": activities,
        "targets": _targets(co, opportunities, activities, months, today),
        "reps": co.reps,
        "marketing_spend": _marketing(rng, months),
        "stage_history": deals.stage_history(),
        "snapshots": snapshots,
    }


def _insert(con, table: str, df: pd.DataFrame) -> None:
    cols = ", ".join(store.quote(c) for c in df.columns)
    con.register("demo_frame", df)
    try:
        con.execute(f"INSERT INTO {store.quote(table)} ({cols}) SELECT {cols} FROM demo_frame")
    finally:
        con.unregister("demo_frame")


def load_demo(con, seed: int = 7, today: date = DEMO_TODAY) -> None:
    """Write the demo company into a workspace in one transaction, replacing whatever data it held."""
    frames = generate(seed, today)
    with store.writable(con) as con, store.transaction(con):
        for table in (*schema.TABLES, "snapshots"):
            con.execute(f"DELETE FROM {store.quote(table)}")
        for snapshot_date, df in frames["snapshots"]:
            sid = store.new_snapshot(con, snapshot_date, "demo", len(df))
            _insert(con, "opportunities", df.assign(snapshot_id=sid))
        for table in schema.TABLES:
            if table != "opportunities":
                _insert(con, table, frames[table])
        store.log_import(con, {"demo": True, "company": COMPANY, "today": today.isoformat(),
                               "rows": {t: len(frames[t]) for t in schema.TABLES}})
        derived.refresh(con)  # what an import does last: the tables derived once per data version
