"""The Hess (p-median) model for the ``inertia`` objective, with contiguity added as separator cuts.

Index sets: atoms ``a`` (contracted keep-together groups), candidate centre units ``c`` (all units, or a
restriction), ``A(c)`` the atom holding unit ``c``.  Variables:

    x[a,c] ∈ {0,1}   atom a belongs to the district centred at unit c;  y_c ≡ x[A(c), c] opens centre c
    s_c ≥ 0          population of the district centred at c
    t_c ≥ 0          |s_c − P/k · y_c|, the balance tie-break

    min  Σ_{a,c} cost[a,c] / scale · x[a,c]  +  w · Σ_c t_c
    s.t. Σ_c x[a,c] = 1                         ∀a              (every atom once)
         Σ_c y_c = k                                             (k districts)
         x[a,c] ≤ y_c                          ∀a ≠ A(c), c     (only open centres)
         s_c = Σ_a p_a x[a,c];  L·y_c ≤ s_c ≤ U·y_c              (floor and cap)
         t_c ≥ s_c − P/k·y_c;  t_c ≥ P/k·y_c − s_c               (balance)
         Σ_{a has a facility} x[a,c] ≥ y_c                      (when a facility is required)
         x[a,c] = x[b,c]                       a, b linked      (a group split in components)
         x[a,c] ≤ Σ_{b∈S} x[b,c]               S an a–A(c) separator (contiguity; added lazily)

cost[a,c] = P_a |m_a − u_c|² (the atom's internal inertia is a constant, added outside the model).
``w`` is chosen so that w · Σ_c t_c ≤ ``tie_share`` × the objective of the warm start: the tie-break can
never move the optimum of the primary objective by more than that share, and the bound reported for the
primary objective subtracts the tie-break's largest possible value, so it stays a valid bound.

An optional restriction (``columns``) keeps only some (a, c) pairs: the restricted optimum is an upper
bound, not a proof (the caller handles that).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.apart import add_apart
from solver.difference import DifferenceColumns, add_difference
from solver.distinct import DistinctColumns, add_distinct
from solver.graphs import components
from solver.linear import LinearModel, scaled_bound
from solver.problem import Problem
from solver.separators import minimal_separator

TIE_SHARE = 1e-7


@dataclass
class HessModel:
    model: LinearModel
    pair_atom: np.ndarray        # column j < n_pairs: (atom, centre unit)
    pair_centre: np.ndarray
    centres: np.ndarray          # candidate centre units
    y_col: dict[int, int]        # centre unit → column of y_c
    column_of: dict[tuple[int, int], int]
    scale: float                 # model objective × scale = person·m² (HiGHS works better near 1)
    tie_max: float               # largest possible value of the tie-break term (model units)
    constant: float              # Σ internal inertia of the atoms (person·m²)
    distinct: DistinctColumns | None = None
    difference: DifferenceColumns | None = None

    @property
    def n_pairs(self) -> int:
        return len(self.pair_atom)

    def primary_bound(self, model_bound: float | None) -> float | None:
        """A bound on the inertia (person·m², atoms' internal inertia included) from a bound on the model
        objective: the tie-break's largest value is subtracted, so it stays valid."""
        return scaled_bound(model_bound, scale=self.scale, tie_max=self.tie_max, constant=self.constant)

    def assignment_from(self, values: np.ndarray, n_atoms: int) -> tuple[np.ndarray, list[int]]:
        """Atom → district 0..k−1 (districts in order of their centre unit) and the centre units."""
        chosen = values[: self.n_pairs] > 0.5
        atoms, centres = self.pair_atom[chosen], self.pair_centre[chosen]
        open_centres = sorted(set(int(c) for a, c in zip(atoms, centres) if self.y_col.get(int(c)) is not None
                                  and values[self.y_col[int(c)]] > 0.5))
        rank = {c: d for d, c in enumerate(open_centres)}
        assignment = np.full(n_atoms, -1, dtype=np.int64)
        for a, c in zip(atoms.tolist(), centres.tolist()):
            if c in rank:
                assignment[a] = rank[c]
        return assignment, open_centres

    def start_from(self, assignment: np.ndarray, centres: list[int], problem: Problem) -> np.ndarray | None:
        """A full column vector for a plan (None when the plan uses a pair outside the restriction)."""
        values = np.zeros(self.model.n_cols)
        k = len(centres)
        pops = np.bincount(assignment, weights=problem.atom_population, minlength=k)
        target = problem.total_population / k
        for a, d in enumerate(assignment.tolist()):
            j = self.column_of.get((a, centres[d]))
            if j is None:
                return None
            values[j] = 1.0
        base = self.n_pairs
        index = {int(c): i for i, c in enumerate(self.centres)}
        for d, c in enumerate(centres):
            if c not in index:
                return None
            values[base + index[c]] = pops[d]
            values[base + len(self.centres) + index[c]] = abs(pops[d] - target)
        if self.distinct is not None:
            extra = self.distinct.start_values(assignment)
            values[self.distinct.first: self.distinct.first + len(extra)] = extra
        if self.difference is not None:
            extra = self.difference.start_values(problem, assignment, np.array([index[c] for c in centres]))
            values[self.difference.first: self.difference.first + len(extra)] = extra
        return values


def build_hess(problem: Problem, k: int, *, require_facility: bool, tie_reference: float | None,
               tie_share: float = TIE_SHARE, columns: tuple[np.ndarray, np.ndarray] | None = None,
               scale: float | None = None) -> HessModel:
    """Build the model; ``columns`` = (atoms, centre units) restricts the pairs (y columns are always kept)."""
    m = problem.n_atoms
    if columns is None:
        centres = np.arange(problem.n_units)
        pair_atom = np.tile(np.arange(m), len(centres))
        pair_centre = np.repeat(centres, m)
    else:
        atoms_r, centres_r = columns
        centres = np.unique(centres_r)
        own = problem.unit_atom[centres]
        pair_atom = np.concatenate([atoms_r, own])
        pair_centre = np.concatenate([centres_r, centres])
        key = np.unique(pair_centre * m + pair_atom)
        pair_centre, pair_atom = key // m, key % m
        pair_atom, pair_centre = _close_links(problem, pair_atom, pair_centre)
    order = np.lexsort((pair_atom, pair_centre))
    pair_atom, pair_centre = pair_atom[order].astype(np.int64), pair_centre[order].astype(np.int64)
    n_pairs = len(pair_atom)
    n_c = len(centres)
    cost = problem.atom_cost(pair_atom, pair_centre)
    if scale is None:
        scale = float(max(cost.max(initial=0.0), 1.0)) / 1000.0
    target = problem.total_population / k
    tie_max_raw = 2.0 * problem.total_population
    if tie_reference is not None and tie_reference > 0 and tie_max_raw > 0:
        tie_weight = tie_share * (tie_reference / scale) / tie_max_raw
    else:
        tie_weight = 0.0
    n = n_pairs + 2 * n_c
    model = LinearModel(
        cost=np.concatenate([cost / scale, np.zeros(n_c), np.full(n_c, tie_weight)]),
        lower=np.zeros(n),
        upper=np.concatenate([np.ones(n_pairs), np.full(n_c, problem.total_population), np.full(n_c, np.inf)]),
        integer=np.concatenate([np.ones(n_pairs, dtype=bool), np.zeros(2 * n_c, dtype=bool)]),
    )
    column_of = {(int(a), int(c)): j for j, (a, c) in enumerate(zip(pair_atom.tolist(), pair_centre.tolist()))}
    centre_index = {int(c): i for i, c in enumerate(centres.tolist())}
    y_col = {int(c): column_of[(int(problem.unit_atom[c]), int(c))] for c in centres.tolist()}
    s_col = {c: n_pairs + i for c, i in centre_index.items()}
    t_col = {c: n_pairs + n_c + i for c, i in centre_index.items()}
    y_of_pair = np.array([y_col[int(c)] for c in pair_centre.tolist()], dtype=np.int64)
    j_all = np.arange(n_pairs)

    # Every atom once (rows grouped by atom).
    by_atom = np.argsort(pair_atom, kind="stable")
    lengths = np.bincount(pair_atom, minlength=m)
    model.add_rows(lengths, by_atom, np.ones(n_pairs), np.ones(m), np.ones(m))
    # k districts.
    ys = np.array([y_col[int(c)] for c in centres.tolist()])
    model.add_rows(np.array([n_c]), ys, np.ones(n_c), np.array([k]), np.array([k]))
    # x[a,c] ≤ y_c.
    mask = j_all != y_of_pair
    rows = j_all[mask]
    idx = np.column_stack([rows, y_of_pair[mask]]).ravel()
    val = np.tile([1.0, -1.0], len(rows))
    model.add_rows(np.full(len(rows), 2), idx, val, np.full(len(rows), -np.inf), np.zeros(len(rows)))
    # s_c = Σ p_a x[a,c]  (pairs are sorted by centre, so each centre's pairs are contiguous).
    per_centre = np.bincount(np.searchsorted(centres, pair_centre), minlength=n_c)
    idx_parts, val_parts = [], []
    offset = 0
    for i, c in enumerate(centres.tolist()):
        cols = np.arange(offset, offset + per_centre[i])
        offset += per_centre[i]
        idx_parts.append(np.append(cols, s_col[c]))
        val_parts.append(np.append(problem.atom_population[pair_atom[cols]], -1.0))
    model.add_rows(per_centre + 1, np.concatenate(idx_parts), np.concatenate(val_parts), np.zeros(n_c), np.zeros(n_c))
    # Floor and cap; balance.
    rows_list = []
    for c in centres.tolist():
        s, y, t = s_col[c], y_col[c], t_col[c]
        rows_list.append(([s, y], [1.0, -problem.max_population], -np.inf, 0.0))
        if problem.min_population > 0:
            rows_list.append(([s, y], [1.0, -problem.min_population], 0.0, np.inf))
        if tie_weight > 0:
            rows_list.append(([t, s, y], [1.0, -1.0, target], 0.0, np.inf))
            rows_list.append(([t, s, y], [1.0, 1.0, -target], 0.0, np.inf))
    model.add_row_list(rows_list)
    if require_facility:
        facility_atoms = set(np.flatnonzero(problem.atom_facility).tolist())
        rows_list = []
        for c in centres.tolist():
            cols = [column_of[(a, c)] for a in sorted(facility_atoms) if (a, c) in column_of]
            y = y_col[c]
            if y in cols:
                continue  # the centre's own atom holds a facility: x[A(c),c] ≥ y_c always holds
            rows_list.append((cols + [y], [1.0] * len(cols) + [-1.0], 0.0, np.inf))
        model.add_row_list(rows_list)
    if problem.links:
        rows_list = []
        for members in problem.links:
            for a, b in zip(members, members[1:]):
                for c in centres.tolist():
                    ja, jb = column_of.get((a, c)), column_of.get((b, c))
                    if ja is not None and jb is not None:
                        rows_list.append(([ja, jb], [1.0, -1.0], 0.0, 0.0))
        model.add_row_list(rows_list)
    add_apart(problem, model, lambda a, c: column_of.get((a, c)), centres.tolist())
    distinct = add_distinct(problem, model, lambda a, c: column_of.get((a, c)), centres.tolist())
    difference = add_difference(problem, model, lambda a, c: column_of.get((a, c)), centres.tolist())
    return HessModel(model=model, pair_atom=pair_atom, pair_centre=pair_centre, centres=centres, y_col=y_col,
                     column_of=column_of, scale=scale, tie_max=tie_weight * tie_max_raw,
                     constant=float(problem.atom_inertia.sum()), distinct=distinct, difference=difference)


def _close_links(problem: Problem, pair_atom: np.ndarray, pair_centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A restriction keeps linked atoms together: if one has a pair with centre c, all get one."""
    if not problem.links:
        return pair_atom, pair_centre
    link_of = problem.link_of()
    extra_a, extra_c = [], []
    have = set(zip(pair_atom.tolist(), pair_centre.tolist()))
    for a, c in list(have):
        if link_of[a] >= 0:
            for b in problem.links[link_of[a]]:
                if (b, c) not in have:
                    extra_a.append(b)
                    extra_c.append(c)
                    have.add((b, c))
    return (np.concatenate([pair_atom, np.array(extra_a, dtype=np.int64)]),
            np.concatenate([pair_centre, np.array(extra_c, dtype=np.int64)]))


def hess_cuts(problem: Problem, hess: HessModel, assignment: np.ndarray, centres: list[int], *,
              every_centre: bool = True, pool: set[tuple[int, int, tuple[int, ...]]] | None = None):
    """Separator rows for every district whose atoms do not all reach its centre; [] when all connected.

    A stray component ``S`` found in one district yields a cut for every candidate centre ``c`` outside
    ``S`` and its neighbours (the separator between ``S`` and ``A(c)``): the next round cannot simply move
    ``S`` to another far-away centre. ``pool`` (if given) collects the cuts as (atom, centre unit,
    separator atoms), valid for every model (``pool_rows``).
    """
    found = separator_cuts(problem, hess, assignment, centres, every_centre=every_centre)
    if pool is not None:
        pool.update(found)
    return pool_rows(hess, found)


def separator_cuts(problem: Problem, hess: HessModel, assignment: np.ndarray, centres: list[int], *,
                   every_centre: bool = True) -> list[tuple[int, int, tuple[int, ...]]]:
    """(atom a, centre unit c, separator S): every contiguous plan has x[a,c] ≤ Σ_{b∈S} x[b,c]."""
    out: list[tuple[int, int, tuple[int, ...]]] = []
    done: set[tuple[int, int]] = set()
    for d, c in enumerate(centres):
        atoms = np.flatnonzero(assignment == d)
        root = int(problem.unit_atom[c])
        parts = components(problem.atom_neighbours, atoms)
        if len(parts) <= 1:
            continue
        for part in parts:
            if root in part:
                continue
            near = part | {b for a in part for b in problem.atom_neighbours[a]}
            targets = hess.centres.tolist() if every_centre else [c]
            separators: dict[int, tuple[int, ...]] = {}
            for centre in targets:
                centre_atom = int(problem.unit_atom[centre])
                if centre_atom in near and centre != c:
                    continue
                if centre_atom not in separators:
                    separators[centre_atom] = tuple(minimal_separator(problem, part, centre_atom))
                for a in sorted(part):
                    if (a, centre) in hess.column_of and (a, centre) not in done:
                        done.add((a, centre))
                        out.append((int(a), int(centre), separators[centre_atom]))
    return out


def pool_rows(hess: HessModel, cuts) -> list:
    """Rows of ``hess`` for the cuts (atom, centre, separator) whose atom has a pair with the centre;
    separator atoms without a pair with the centre are 0 in this model and drop out."""
    rows = []
    for a, c, separator in cuts:
        j = hess.column_of.get((a, c))
        if j is None:
            continue
        sep_cols = [hess.column_of[(b, c)] for b in separator if (b, c) in hess.column_of]
        rows.append(([j] + sep_cols, [1.0] + [-1.0] * len(sep_cols), -np.inf, 0.0))
    return rows


def neighbour_cuts(problem: Problem, hess: HessModel):
    """x[a,c] ≤ Σ_{b next to a} x[b,c] for every pair whose atom is not the centre's nor next to it: the
    atom's neighbours separate it from the centre (an a–A(c) separator), so every contiguous plan obeys."""
    rows = []
    for (a, c), j in sorted(hess.column_of.items(), key=lambda item: item[1]):
        root = int(problem.unit_atom[c])
        if a == root or root in problem.atom_neighbours[a]:
            continue
        cols = [hess.column_of[(b, c)] for b in problem.atom_neighbours[a] if (b, c) in hess.column_of]
        rows.append(([j] + cols, [1.0] + [-1.0] * len(cols), -np.inf, 0.0))
    return rows
