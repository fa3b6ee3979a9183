//! The tree type and the operations behind the subcommands.

use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::HashSet;
use std::rc::{Rc, Weak};

/// MIN_SPLIT_SIDE is the smallest side a split may have to count as
/// non-trivial; a split that cuts off a single tip says nothing.
const MIN_SPLIT_SIDE: usize = 2;

/// The 64-bit FNV-1a parameters, used to hash split keys in BipartitionSet.
const FNV_OFFSET_BASIS: u64 = 14695981039346656037;
const FNV_PRIME: u64 = 1099511628211;

/// Node is one vertex of a rooted tree; tips have no children. The branch
/// length belongs to the edge above the node. has_length records whether the
/// input gave one at all, so that trees are written back the way they came.
pub struct Node {
    pub label: String,
    pub length: f64,
    pub has_length: bool,
    pub parent: Weak<RefCell<Node>>,
    pub children: Vec<NodeRef>,
}

pub type NodeRef = Rc<RefCell<Node>>;

impl Node {
    pub fn is_tip(&self) -> bool {
        self.children.is_empty()
    }
}

pub fn new_node() -> NodeRef {
    Rc::new(RefCell::new(Node {
        label: String::new(),
        length: 0.0,
        has_length: false,
        parent: Weak::new(),
        children: Vec::new(),
    }))
}

fn is_tip(n: &NodeRef) -> bool {
    n.borrow().is_tip()
}

pub fn add_child(parent: &NodeRef, child: &NodeRef) {
    child.borrow_mut().parent = Rc::downgrade(parent);
    parent.borrow_mut().children.push(Rc::clone(child));
}

fn remove_child(parent: &NodeRef, child: &NodeRef) {
    let mut p = parent.borrow_mut();
    if let Some(i) = p.children.iter().position(|c| Rc::ptr_eq(c, child)) {
        p.children.remove(i);
    }
}

/// TreeStats holds the numbers printed by the stats command.
#[derive(Default)]
pub struct TreeStats {
    pub tips: usize,
    pub internal: usize,
    pub depth: usize,
    pub length: f64,
}

/// walk_preorder visits n and everything below it, parents before children,
/// passing along the number of edges between n and each visited node.
fn walk_preorder(n: &NodeRef, depth: usize, visit: &mut dyn FnMut(&NodeRef, usize)) {
    visit(n, depth);
    let children = n.borrow().children.clone();
    for child in &children {
        walk_preorder(child, depth + 1, visit);
    }
}

pub fn compute_stats(root: &NodeRef) -> TreeStats {
    let mut st = TreeStats { length: branch_length_sum(root), ..Default::default() };
    walk_preorder(root, 0, &mut |n, depth| {
        if !is_tip(n) {
            st.internal += 1;
            return;
        }
        st.tips += 1;
        if depth > st.depth {
            st.depth = depth;
        }
    });
    st
}

/// branch_length_sum adds up every branch length in preorder; missing lengths
/// count as zero. Floating point addition is not associative, so the order
/// is part of the output and must stay fixed.
fn branch_length_sum(root: &NodeRef) -> f64 {
    let mut total = 0.0;
    walk_preorder(root, 0, &mut |n, _| total += n.borrow().length);
    total
}

/// collect_tips returns the tip labels below n in preorder, leaving out the
/// subtree rooted at skip (if any).
pub fn collect_tips(n: &NodeRef, skip: Option<&NodeRef>) -> Vec<String> {
    if let Some(s) = skip {
        if Rc::ptr_eq(n, s) {
            return Vec::new();
        }
    }
    let node = n.borrow();
    if node.is_tip() {
        return vec![node.label.clone()];
    }
    let mut tips = Vec::new();
    for child in &node.children {
        tips.extend(collect_tips(child, skip));
    }
    tips
}

/// find_tip returns the first tip in preorder called name, if there is one.
pub fn find_tip(n: &NodeRef, name: &str) -> Option<NodeRef> {
    let node = n.borrow();
    if node.is_tip() {
        if node.label == name {
            return Some(Rc::clone(n));
        }
        return None;
    }
    for child in &node.children {
        if let Some(tip) = find_tip(child, name) {
            return Some(tip);
        }
    }
    None
}

/// unroot_tree turns a bifurcating root into a multifurcation: the first
/// internal child of the root is dissolved and its children take its place.
/// Its branch length moves to the sibling, so tip-to-tip distances survive.
pub fn unroot_tree(root: &NodeRef) {
    if root.borrow().children.len() != 2 {
        return;
    }
    let idx = if is_tip(&root.borrow().children[0]) { 1 } else { 0 };
    let merged = Rc::clone(&root.borrow().children[idx]);
    let sibling = Rc::clone(&root.borrow().children[1 - idx]);
    if is_tip(&merged) {
        return; // two tips and nothing else: leave it alone
    }
    {
        let m = merged.borrow();
        let mut s = sibling.borrow_mut();
        s.length += m.length;
        s.has_length = s.has_length || m.has_length;
    }
    let old: Vec<NodeRef> = root.borrow().children.clone();
    let mut kids: Vec<NodeRef> = old[..idx].to_vec();
    for c in &merged.borrow().children {
        c.borrow_mut().parent = Rc::downgrade(root);
        kids.push(Rc::clone(c));
    }
    kids.extend_from_slice(&old[idx + 1..]);
    root.borrow_mut().children = kids;
}

/// reroot_tree puts a new root in the middle of the branch above tip and
/// returns it. The caller guarantees that the tree has at least two tips.
pub fn reroot_tree(tip: &NodeRef) -> NodeRef {
    let parent = tip.borrow().parent.upgrade().expect("tip has a parent");
    remove_child(&parent, tip);
    let rest = reverse_upwards(&parent).expect("something is left besides the tip");
    let new_root = new_node();
    tip.borrow_mut().length /= 2.0;
    {
        let t = tip.borrow();
        let mut r = rest.borrow_mut();
        r.length = t.length;
        r.has_length = t.has_length;
    }
    add_child(&new_root, tip);
    add_child(&new_root, &rest);
    suppress_unary(&new_root);
    new_root
}

/// reverse_upwards hangs n's former ancestors underneath n. Every edge keeps
/// its length: the edge that was above n ends up above n's old parent. A
/// node left without children (an old root with a single child) is dropped,
/// and None is returned for it.
fn reverse_upwards(n: &NodeRef) -> Option<NodeRef> {
    let up = n.borrow().parent.upgrade();
    n.borrow_mut().parent = Weak::new();
    if let Some(up) = up {
        remove_child(&up, n);
        if let Some(sub) = reverse_upwards(&up) {
            {
                let node = n.borrow();
                let mut s = sub.borrow_mut();
                s.length = node.length;
                s.has_length = node.has_length;
            }
            add_child(n, &sub);
        }
    }
    if is_tip(n) {
        return None;
    }
    Some(Rc::clone(n))
}

/// suppress_unary splices out every node below n that has exactly one child,
/// joining its branch onto the child's. Children are tidied first, so a
/// chain of such nodes collapses from the bottom up.
fn suppress_unary(n: &NodeRef) {
    let children = n.borrow().children.clone();
    for (i, child) in children.iter().enumerate() {
        suppress_unary(child);
        if child.borrow().children.len() == 1 {
            let only = Rc::clone(&child.borrow().children[0]);
            {
                let c = child.borrow();
                let mut o = only.borrow_mut();
                o.length += c.length;
                o.has_length = o.has_length || c.has_length;
                o.parent = Rc::downgrade(n);
            }
            n.borrow_mut().children[i] = only;
        }
    }
}

/// prune_tips removes the tips named in drop below n and reports whether
/// anything is left. Internal nodes that lose all their children go too.
fn prune_tips(n: &NodeRef, drop: &HashSet<String>) -> bool {
    if is_tip(n) {
        return !drop.contains(&n.borrow().label);
    }
    let children = n.borrow().children.clone();
    let mut kept = Vec::new();
    for child in children {
        if prune_tips(&child, drop) {
            kept.push(child);
        }
    }
    let any_left = !kept.is_empty();
    n.borrow_mut().children = kept;
    any_left
}

/// prune_tree prunes and tidies a tree, returning its new root, or None if
/// no tips would be left. A root with one child hands the root role down.
pub fn prune_tree(root: &NodeRef, drop: &HashSet<String>) -> Option<NodeRef> {
    if !prune_tips(root, drop) {
        return None;
    }
    suppress_unary(root);
    if root.borrow().children.len() == 1 {
        let child = Rc::clone(&root.borrow().children[0]);
        child.borrow_mut().parent = Weak::new();
        return Some(child);
    }
    Some(Rc::clone(root))
}

/// BipartitionSet holds splits in their canonical text form, so a split
/// seen from both sides of a bifurcating root is counted once. Keys are
/// filed under their hash; a bucket keeps every distinct key with that hash,
/// so a collision can never merge two different splits.
#[derive(Default)]
struct BipartitionSet(HashMap<u64, Vec<String>>);

impl BipartitionSet {
    /// add files key under its hash unless an equal key is there already.
    fn add(&mut self, key: String) {
        let bucket = self.0.entry(hash_key(&key)).or_default();
        if bucket.iter().any(|seen| *seen == key) {
            return;
        }
        bucket.push(key);
    }
}

/// hash_key returns the 64-bit FNV-1a hash of the bytes of key.
fn hash_key(key: &str) -> u64 {
    let mut h = FNV_OFFSET_BASIS;
    for &b in key.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// collect_bipartitions lists the non-trivial splits of a tree, sorted.
pub fn collect_bipartitions(root: &NodeRef) -> Vec<String> {
    let mut set = BipartitionSet::default();
    walk_preorder(root, 0, &mut |n, _| {
        if Rc::ptr_eq(n, root) || is_tip(n) {
            return;
        }
        let (inside, outside) = (collect_tips(n, None), collect_tips(root, Some(n)));
        if inside.len() >= MIN_SPLIT_SIDE && outside.len() >= MIN_SPLIT_SIDE {
            set.add(split_key(inside, outside));
        }
    });
    let mut lines: Vec<String> = Vec::with_capacity(set.0.len());
    for bucket in set.0.into_values() {
        lines.extend(bucket);
    }
    lines.sort();
    lines
}

/// split_key writes a split as "a b | c d e": tips sorted within each side,
/// and the side that sorts first written first.
fn split_key(mut a: Vec<String>, mut b: Vec<String>) -> String {
    a.sort();
    b.sort();
    let (mut left, mut right) = (a.join(" "), b.join(" "));
    if right < left {
        std::mem::swap(&mut left, &mut right);
    }
    format!("{} | {}", left, right)
}
