//! Trees kept as a flat vector of slots that point at each other by index.
//!
//! Edits never free a slot; a slot that is cut out simply stops being
//! reachable from `root`, and every walk starts from `root`.

use std::collections::{BTreeSet, HashSet};

#[derive(Default, Clone)]
pub struct Slot {
    pub name: String,
    /// Length of the edge leading up to this vertex, if the input gave one.
    pub edge: Option<f64>,
    pub up: Option<usize>,
    pub kids: Vec<usize>,
}

#[derive(Default)]
pub struct Tree {
    pub slots: Vec<Slot>,
    pub root: usize,
}

/// Numbers reported by the `stats` command.
pub struct Summary {
    pub leaves: usize,
    pub inner: usize,
    pub total: f64,
    pub deepest: usize,
}

/// Merges the edge of a vertex that is being removed (`upper`) into the edge
/// below it. An absent length reads as zero, but the result stays absent
/// only if both were.
fn fold_edge(lower: Option<f64>, upper: Option<f64>) -> Option<f64> {
    if lower.is_none() && upper.is_none() {
        return None;
    }
    Some(lower.unwrap_or(0.0) + upper.unwrap_or(0.0))
}

impl Tree {
    /// Appends a fresh vertex under `up`, or makes it the root when `up` is None.
    pub fn add(&mut self, up: Option<usize>) -> usize {
        let v = self.slots.len();
        self.slots.push(Slot { up, ..Slot::default() });
        match up {
            Some(p) => self.slots[p].kids.push(v),
            None => self.root = v,
        }
        v
    }

    fn is_leaf(&self, v: usize) -> bool {
        self.slots[v].kids.is_empty()
    }

    /// Reachable vertices with their distance (in edges) from the root,
    /// parents before kids and kids left to right.
    pub fn preorder(&self) -> Vec<(usize, usize)> {
        let mut seen = Vec::new();
        let mut pending = vec![(self.root, 0)];
        while let Some((v, level)) = pending.pop() {
            seen.push((v, level));
            for &k in self.slots[v].kids.iter().rev() {
                pending.push((k, level + 1));
            }
        }
        seen
    }

    pub fn leaves(&self) -> Vec<usize> {
        self.preorder().into_iter().map(|(v, _)| v).filter(|&v| self.is_leaf(v)).collect()
    }

    /// The leftmost leaf carrying `name`.
    pub fn leaf_named(&self, name: &str) -> Option<usize> {
        self.leaves().into_iter().find(|&v| self.slots[v].name == name)
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary { leaves: 0, inner: 0, total: 0.0, deepest: 0 };
        // The sum runs in preorder; another order could round differently.
        for (v, level) in self.preorder() {
            s.total += self.slots[v].edge.unwrap_or(0.0);
            if self.is_leaf(v) {
                s.leaves += 1;
                s.deepest = s.deepest.max(level);
            } else {
                s.inner += 1;
            }
        }
        s
    }

    /// `unroot`: when the root has exactly two kids and one of them is inner
    /// (the left one wins), that kid is replaced by its own kids and its edge
    /// is added to the other kid's edge.
    pub fn dissolve_root(&mut self) {
        let r = self.root;
        let pair = self.slots[r].kids.clone();
        if pair.len() != 2 {
            return;
        }
        let (gone, kept) = match (self.is_leaf(pair[0]), self.is_leaf(pair[1])) {
            (false, _) => (0, 1),
            (true, false) => (1, 0),
            (true, true) => return,
        };
        let extra = self.slots[pair[gone]].edge;
        self.slots[pair[kept]].edge = fold_edge(self.slots[pair[kept]].edge, extra);
        let grandkids = self.slots[pair[gone]].kids.clone();
        for &g in &grandkids {
            self.slots[g].up = Some(r);
        }
        self.slots[r].kids.splice(gone..gone + 1, grandkids);
    }

    /// `reroot`: a new root goes halfway along the edge above `leaf`. The
    /// ancestors of the leaf are turned upside down, each one taking the edge
    /// that used to lead to the vertex below it; an ancestor left with nothing
    /// under it disappears. The caller makes sure there are two leaves at least.
    pub fn hang_from(&mut self, leaf: usize) {
        let mut chain = Vec::new(); // nearest ancestor first, old root last
        let mut cursor = self.slots[leaf].up;
        while let Some(a) = cursor {
            chain.push(a);
            cursor = self.slots[a].up;
        }
        let previous: Vec<Option<f64>> = chain.iter().map(|&a| self.slots[a].edge).collect();
        let mut lower = leaf;
        for &a in &chain {
            self.slots[a].kids.retain(|&k| k != lower);
            lower = a;
        }
        let mut keeps = vec![false; chain.len()];
        for j in (0..chain.len()).rev() {
            let above = j + 1 < chain.len() && keeps[j + 1];
            keeps[j] = above || !self.slots[chain[j]].kids.is_empty();
        }
        for j in 0..chain.len().saturating_sub(1) {
            if keeps[j + 1] {
                let (below, above) = (chain[j], chain[j + 1]);
                self.slots[below].kids.push(above);
                self.slots[above].up = Some(below);
                self.slots[above].edge = previous[j];
            }
        }
        let half = self.slots[leaf].edge.map(|x| x / 2.0);
        let top = self.add(None);
        for v in [leaf, chain[0]] {
            self.slots[top].kids.push(v);
            self.slots[v].up = Some(top);
            self.slots[v].edge = half;
        }
        self.splice_unary();
    }

    /// Cuts out every non-root vertex with a single kid, folding its edge
    /// into the kid's. Reversed preorder handles descendants first, so a
    /// chain of such vertices folds from the bottom.
    pub fn splice_unary(&mut self) {
        for (v, _) in self.preorder().into_iter().rev() {
            for pos in 0..self.slots[v].kids.len() {
                let k = self.slots[v].kids[pos];
                if self.slots[k].kids.len() == 1 {
                    let only = self.slots[k].kids[0];
                    self.slots[only].edge = fold_edge(self.slots[only].edge, self.slots[k].edge);
                    self.slots[only].up = Some(v);
                    self.slots[v].kids[pos] = only;
                }
            }
        }
    }

    /// `prune`: drops the named leaves and any inner vertex that ends up
    /// empty, then tidies up. Returns false when not a single leaf remains.
    pub fn drop_tips(&mut self, names: &HashSet<&str>) -> bool {
        let mut alive = vec![true; self.slots.len()];
        for (v, _) in self.preorder().into_iter().rev() {
            if self.is_leaf(v) {
                alive[v] = !names.contains(self.slots[v].name.as_str());
            } else {
                self.slots[v].kids.retain(|&k| alive[k]);
                alive[v] = !self.slots[v].kids.is_empty();
            }
        }
        if !alive[self.root] {
            return false;
        }
        self.splice_unary();
        if self.slots[self.root].kids.len() == 1 {
            let only = self.slots[self.root].kids[0];
            self.slots[only].up = None;
            self.root = only;
        }
        true
    }

    /// `bipartitions`: every inner non-root vertex cuts the leaves in two.
    /// Splits with a side of fewer than two leaves are left out; each split
    /// becomes one line, the side that sorts lower first.
    pub fn splits(&self) -> Vec<String> {
        let order = self.preorder();
        let leaves: Vec<usize> = order.iter().map(|&(v, _)| v).filter(|&v| self.is_leaf(v)).collect();
        let mut under: Vec<Vec<usize>> = vec![Vec::new(); self.slots.len()];
        for &(v, _) in order.iter().rev() {
            under[v] = if self.is_leaf(v) {
                vec![v]
            } else {
                self.slots[v].kids.iter().flat_map(|&k| under[k].clone()).collect()
            };
        }
        let mut lines = BTreeSet::new();
        let mut marked = vec![false; self.slots.len()];
        for &(v, _) in &order {
            if v == self.root || self.is_leaf(v) {
                continue;
            }
            under[v].iter().for_each(|&l| marked[l] = true);
            let (mut inside, mut outside): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
            for &l in &leaves {
                let side = if marked[l] { &mut inside } else { &mut outside };
                side.push(&self.slots[l].name);
            }
            under[v].iter().for_each(|&l| marked[l] = false);
            if inside.len() < 2 || outside.len() < 2 {
                continue;
            }
            inside.sort_unstable();
            outside.sort_unstable();
            let (a, b) = (inside.join(" "), outside.join(" "));
            lines.insert(if b < a { format!("{} | {}", b, a) } else { format!("{} | {}", a, b) });
        }
        lines.into_iter().collect()
    }
}
