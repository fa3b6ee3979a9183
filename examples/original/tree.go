package main

import (
	"sort"
	"strings"
)

// minSplitSide is the smallest side a split may have to count as
// non-trivial; a split that cuts off a single tip says nothing.
const minSplitSide = 2

// The 64-bit FNV-1a parameters, used to hash split keys in bipartitionSet.
const (
	fnvOffsetBasis uint64 = 14695981039346656037
	fnvPrime       uint64 = 1099511628211
)

// node is one vertex of a rooted tree; tips have no children. The branch
// length belongs to the edge above the node. hasLength records whether the
// input gave one at all, so that trees are written back the way they came.
type node struct {
	label     string
	length    float64
	hasLength bool
	parent    *node
	children  []*node
}

func (n *node) isTip() bool { return len(n.children) == 0 }

func addChild(parent, child *node) {
	child.parent = parent
	parent.children = append(parent.children, child)
}

func removeChild(parent, child *node) {
	for i, c := range parent.children {
		if c == child {
			parent.children = append(parent.children[:i], parent.children[i+1:]...)
			return
		}
	}
}

// treeStats holds the numbers printed by the stats command.
type treeStats struct {
	tips, internal, depth int
	length                float64
}

// walkPreorder visits n and everything below it, parents before children,
// passing along the number of edges between n and each visited node.
func walkPreorder(n *node, depth int, visit func(*node, int)) {
	visit(n, depth)
	for _, child := range n.children {
		walkPreorder(child, depth+1, visit)
	}
}

func computeStats(root *node) treeStats {
	st := treeStats{length: branchLengthSum(root)}
	walkPreorder(root, 0, func(n *node, depth int) {
		if !n.isTip() {
			st.internal++
			return
		}
		st.tips++
		if depth > st.depth {
			st.depth = depth
		}
	})
	return st
}

// branchLengthSum adds up every branch length in preorder; missing lengths
// count as zero. Floating point addition is not associative, so the order
// is part of the output and must stay fixed.
func branchLengthSum(root *node) float64 {
	total := 0.0
	walkPreorder(root, 0, func(n *node, _ int) { total += n.length })
	return total
}

// collectTips returns the tip labels below n in preorder, leaving out the
// subtree rooted at skip (which may be nil).
func collectTips(n, skip *node) []string {
	if n == skip {
		return nil
	}
	if n.isTip() {
		return []string{n.label}
	}
	var tips []string
	for _, child := range n.children {
		tips = append(tips, collectTips(child, skip)...)
	}
	return tips
}

// findTip returns the first tip in preorder called name, or nil.
func findTip(n *node, name string) *node {
	if n.isTip() {
		if n.label == name {
			return n
		}
		return nil
	}
	for _, child := range n.children {
		if tip := findTip(child, name); tip != nil {
			return tip
		}
	}
	return nil
}

// unrootTree turns a bifurcating root into a multifurcation: the first
// internal child of the root is dissolved and its children take its place.
// Its branch length moves to the sibling, so tip-to-tip distances survive.
func unrootTree(root *node) {
	if len(root.children) != 2 {
		return
	}
	idx := 0
	if root.children[0].isTip() {
		idx = 1
	}
	merged, sibling := root.children[idx], root.children[1-idx]
	if merged.isTip() {
		return // two tips and nothing else: leave it alone
	}
	sibling.length += merged.length
	sibling.hasLength = sibling.hasLength || merged.hasLength
	var kids []*node
	kids = append(kids, root.children[:idx]...)
	for _, c := range merged.children {
		c.parent = root
		kids = append(kids, c)
	}
	root.children = append(kids, root.children[idx+1:]...)
}

// rerootTree puts a new root in the middle of the branch above tip and
// returns it. The caller guarantees that the tree has at least two tips.
func rerootTree(tip *node) *node {
	parent := tip.parent
	removeChild(parent, tip)
	rest := reverseUpwards(parent)
	newRoot := &node{}
	tip.length /= 2
	rest.length, rest.hasLength = tip.length, tip.hasLength
	addChild(newRoot, tip)
	addChild(newRoot, rest)
	suppressUnary(newRoot)
	return newRoot
}

// reverseUpwards hangs n's former ancestors underneath n. Every edge keeps
// its length: the edge that was above n ends up above n's old parent. A
// node left without children (an old root with a single child) is dropped,
// and nil is returned for it.
func reverseUpwards(n *node) *node {
	up := n.parent
	n.parent = nil
	if up != nil {
		removeChild(up, n)
		if sub := reverseUpwards(up); sub != nil {
			sub.length, sub.hasLength = n.length, n.hasLength
			addChild(n, sub)
		}
	}
	if n.isTip() {
		return nil
	}
	return n
}

// suppressUnary splices out every node below n that has exactly one child,
// joining its branch onto the child's. Children are tidied first, so a
// chain of such nodes collapses from the bottom up.
func suppressUnary(n *node) {
	for i, child := range n.children {
		suppressUnary(child)
		if len(child.children) == 1 {
			only := child.children[0]
			only.length += child.length
			only.hasLength = only.hasLength || child.hasLength
			only.parent = n
			n.children[i] = only
		}
	}
}

// pruneTips removes the tips named in drop below n and reports whether
// anything is left. Internal nodes that lose all their children go too.
func pruneTips(n *node, drop map[string]bool) bool {
	if n.isTip() {
		return !drop[n.label]
	}
	kept := n.children[:0]
	for _, child := range n.children {
		if pruneTips(child, drop) {
			kept = append(kept, child)
		}
	}
	n.children = kept
	return len(kept) > 0
}

// pruneTree prunes and tidies a tree, returning its new root, or nil if
// no tips would be left. A root with one child hands the root role down.
func pruneTree(root *node, drop map[string]bool) *node {
	if !pruneTips(root, drop) {
		return nil
	}
	suppressUnary(root)
	if len(root.children) == 1 {
		root = root.children[0]
		root.parent = nil
	}
	return root
}

// bipartitionSet holds splits in their canonical text form, so a split
// seen from both sides of a bifurcating root is counted once. Keys are
// filed under their hash; a bucket keeps every distinct key with that hash,
// so a collision can never merge two different splits.
type bipartitionSet map[uint64][]string

// add files key under its hash unless an equal key is there already.
func (set bipartitionSet) add(key string) {
	h := hashKey(key)
	for _, seen := range set[h] {
		if seen == key {
			return
		}
	}
	set[h] = append(set[h], key)
}

// hashKey returns the 64-bit FNV-1a hash of the bytes of key.
func hashKey(key string) uint64 {
	h := fnvOffsetBasis
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= fnvPrime
	}
	return h
}

// collectBipartitions lists the non-trivial splits of a tree, sorted.
func collectBipartitions(root *node) []string {
	set := bipartitionSet{}
	walkPreorder(root, 0, func(n *node, _ int) {
		if n == root || n.isTip() {
			return
		}
		inside, outside := collectTips(n, nil), collectTips(root, n)
		if len(inside) >= minSplitSide && len(outside) >= minSplitSide {
			set.add(splitKey(inside, outside))
		}
	})
	lines := make([]string, 0, len(set))
	for _, bucket := range set {
		lines = append(lines, bucket...)
	}
	sort.Strings(lines)
	return lines
}

// splitKey writes a split as "a b | c d e": tips sorted within each side,
// and the side that sorts first written first.
func splitKey(a, b []string) string {
	sort.Strings(a)
	sort.Strings(b)
	left, right := strings.Join(a, " "), strings.Join(b, " ")
	if right < left {
		left, right = right, left
	}
	return left + " | " + right
}
