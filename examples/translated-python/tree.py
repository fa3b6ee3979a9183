"""The tree type and the operations behind the subcommands."""

# MIN_SPLIT_SIDE is the smallest side a split may have to count as
# non-trivial; a split that cuts off a single tip says nothing.
MIN_SPLIT_SIDE = 2

# The 64-bit FNV-1a parameters, used to hash split keys in BipartitionSet.
FNV_OFFSET_BASIS = 14695981039346656037
FNV_PRIME = 1099511628211


class Node:
    """One vertex of a rooted tree; tips have no children. The branch length
    belongs to the edge above the node. has_length records whether the input
    gave one at all, so that trees are written back the way they came."""

    def __init__(self):
        self.label = ""
        self.length = 0.0
        self.has_length = False
        self.parent = None
        self.children = []

    def is_tip(self):
        return len(self.children) == 0


def add_child(parent, child):
    child.parent = parent
    parent.children.append(child)


def remove_child(parent, child):
    for i, c in enumerate(parent.children):
        if c is child:
            del parent.children[i]
            return


class TreeStats:
    """Holds the numbers printed by the stats command."""

    def __init__(self):
        self.tips = 0
        self.internal = 0
        self.depth = 0
        self.length = 0.0


def walk_preorder(n, depth, visit):
    """Visit n and everything below it, parents before children, passing
    along the number of edges between n and each visited node."""
    visit(n, depth)
    for child in n.children:
        walk_preorder(child, depth + 1, visit)


def compute_stats(root):
    st = TreeStats()
    st.length = branch_length_sum(root)

    def visit(n, depth):
        if not n.is_tip():
            st.internal += 1
            return
        st.tips += 1
        if depth > st.depth:
            st.depth = depth

    walk_preorder(root, 0, visit)
    return st


def branch_length_sum(root):
    """Add up every branch length in preorder; missing lengths count as
    zero. Floating point addition is not associative, so the order is part
    of the output and must stay fixed."""
    total = 0.0

    def visit(n, _depth):
        nonlocal total
        total += n.length

    walk_preorder(root, 0, visit)
    return total


def collect_tips(n, skip=None):
    """Return the tip labels below n in preorder, leaving out the subtree
    rooted at skip (which may be None)."""
    if n is skip:
        return []
    if n.is_tip():
        return [n.label]
    tips = []
    for child in n.children:
        tips.extend(collect_tips(child, skip))
    return tips


def find_tip(n, name):
    """Return the first tip in preorder called name, or None."""
    if n.is_tip():
        if n.label == name:
            return n
        return None
    for child in n.children:
        tip = find_tip(child, name)
        if tip is not None:
            return tip
    return None


def unroot_tree(root):
    """Turn a bifurcating root into a multifurcation: the first internal
    child of the root is dissolved and its children take its place. Its
    branch length moves to the sibling, so tip-to-tip distances survive."""
    if len(root.children) != 2:
        return
    idx = 1 if root.children[0].is_tip() else 0
    merged, sibling = root.children[idx], root.children[1 - idx]
    if merged.is_tip():
        return  # two tips and nothing else: leave it alone
    sibling.length += merged.length
    sibling.has_length = sibling.has_length or merged.has_length
    kids = list(root.children[:idx])
    for c in merged.children:
        c.parent = root
        kids.append(c)
    root.children = kids + root.children[idx + 1:]


def reroot_tree(tip):
    """Put a new root in the middle of the branch above tip and return it.
    The caller guarantees that the tree has at least two tips."""
    parent = tip.parent
    remove_child(parent, tip)
    rest = reverse_upwards(parent)
    new_root = Node()
    tip.length /= 2
    rest.length, rest.has_length = tip.length, tip.has_length
    add_child(new_root, tip)
    add_child(new_root, rest)
    suppress_unary(new_root)
    return new_root


def reverse_upwards(n):
    """Hang n's former ancestors underneath n. Every edge keeps its length:
    the edge that was above n ends up above n's old parent. A node left
    without children (an old root with a single child) is dropped, and None
    is returned for it."""
    up = n.parent
    n.parent = None
    if up is not None:
        remove_child(up, n)
        sub = reverse_upwards(up)
        if sub is not None:
            sub.length, sub.has_length = n.length, n.has_length
            add_child(n, sub)
    if n.is_tip():
        return None
    return n


def suppress_unary(n):
    """Splice out every node below n that has exactly one child, joining its
    branch onto the child's. Children are tidied first, so a chain of such
    nodes collapses from the bottom up."""
    for i, child in enumerate(n.children):
        suppress_unary(child)
        if len(child.children) == 1:
            only = child.children[0]
            only.length += child.length
            only.has_length = only.has_length or child.has_length
            only.parent = n
            n.children[i] = only


def prune_tips(n, drop):
    """Remove the tips named in drop below n and report whether anything is
    left. Internal nodes that lose all their children go too."""
    if n.is_tip():
        return n.label not in drop
    n.children = [child for child in n.children if prune_tips(child, drop)]
    return len(n.children) > 0


def prune_tree(root, drop):
    """Prune and tidy a tree, returning its new root, or None if no tips
    would be left. A root with one child hands the root role down."""
    if not prune_tips(root, drop):
        return None
    suppress_unary(root)
    if len(root.children) == 1:
        root = root.children[0]
        root.parent = None
    return root


class BipartitionSet(dict):
    """Holds splits in their canonical text form, so a split seen from both
    sides of a bifurcating root is counted once. Keys are filed under their
    hash; a bucket keeps every distinct key with that hash, so a collision
    can never merge two different splits."""

    def add(self, key):
        """File key under its hash unless an equal key is there already."""
        bucket = self.setdefault(hash_key(key), [])
        if key not in bucket:
            bucket.append(key)


def hash_key(key):
    """Return the 64-bit FNV-1a hash of the bytes of key."""
    h = FNV_OFFSET_BASIS
    for b in key.encode():
        h ^= b
        h = (h * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def collect_bipartitions(root):
    """List the non-trivial splits of a tree, sorted."""
    bipartitions = BipartitionSet()

    def visit(n, _depth):
        if n is root or n.is_tip():
            return
        inside, outside = collect_tips(n), collect_tips(root, n)
        if len(inside) >= MIN_SPLIT_SIDE and len(outside) >= MIN_SPLIT_SIDE:
            bipartitions.add(split_key(inside, outside))

    walk_preorder(root, 0, visit)
    lines = []
    for bucket in bipartitions.values():
        lines.extend(bucket)
    return sorted(lines)


def split_key(a, b):
    """Write a split as "a b | c d e": tips sorted within each side, and the
    side that sorts first written first."""
    a.sort()
    b.sort()
    left, right = " ".join(a), " ".join(b)
    if right < left:
        left, right = right, left
    return left + " | " + right
