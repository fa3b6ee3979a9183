"""Command treestat reads phylogenetic trees in Newick format and reports on
them or rewrites them. See USAGE_TEXT for the commands."""

import sys

from newick import ParseError, format_length, parse_newick, write_newick
from tree import (collect_bipartitions, collect_tips, compute_stats, find_tip,
                  prune_tree, reroot_tree, unroot_tree)

EXIT_OK = 0
EXIT_ERROR = 1  # bad input or a tip that does not exist
EXIT_USAGE = 2  # bad command line

USAGE_TEXT = """usage: treestat [-i FILE] COMMAND [ARGS...]

Read Newick trees from FILE (or standard input) and report on each one.

commands:
  stats          count tips and internal nodes, sum branch lengths, give depth
  unroot         dissolve a bifurcating root into a multifurcation
  reroot TIP     put the root in the middle of the branch above TIP
  bipartitions   list the non-trivial splits as sorted sets of tips
  prune TIP...   remove the named tips and tidy up what is left

options:
  -i FILE        read trees from FILE instead of standard input
  -h, --help     show this help and exit
"""


def main():
    # The parser may recurse MAX_DEPTH_GUARD levels deep, and so do the tree
    # walks; Python's default limit of 1000 frames is not enough.
    sys.setrecursionlimit(20000)
    sys.exit(run(sys.argv[1:]))


def usage_error(msg):
    """Report a command-line mistake and return the exit code."""
    sys.stderr.write("error: %s\nrun 'treestat --help' for usage\n" % msg)
    return EXIT_USAGE


def fail(msg):
    """Report a problem with the input and return the exit code."""
    sys.stderr.write(msg + "\n")
    return EXIT_ERROR


def check_arity(cmd, rest):
    """Validate the command name and its argument count before any input is
    read, and return a message for usage_error or ""."""
    if cmd in ("stats", "unroot", "bipartitions"):
        if len(rest) != 0:
            return cmd + " takes no arguments"
    elif cmd == "reroot":
        if len(rest) != 1:
            return "reroot takes exactly one tip name"
    elif cmd == "prune":
        if len(rest) == 0:
            return "prune needs at least one tip name"
    else:
        return "unknown command " + cmd
    return ""


def read_input(path):
    if path == "":
        return sys.stdin.buffer.read()
    with open(path, "rb") as f:
        return f.read()


def plural(n, noun):
    """Format a count with its noun, adding an "s" unless it is one."""
    if n == 1:
        return "1 %s" % noun
    return "%d %ss" % (n, noun)


def run(args):
    """Do the work of main and return the exit code. Options come first,
    then the command and its arguments."""
    input_path = ""
    while len(args) > 0 and args[0].startswith("-"):
        if args[0] in ("-h", "--help"):
            sys.stdout.write(USAGE_TEXT)
            return EXIT_OK
        elif args[0] == "-i":
            if len(args) < 2:
                return usage_error("-i needs a file name")
            input_path, args = args[1], args[2:]
        else:
            return usage_error("unknown option " + args[0])
    if len(args) == 0:
        sys.stderr.write(USAGE_TEXT)
        return EXIT_USAGE
    cmd, rest = args[0], args[1:]
    msg = check_arity(cmd, rest)
    if msg != "":
        return usage_error(msg)
    try:
        src = read_input(input_path)
    except OSError:
        return fail("error: cannot read %s" % input_path)
    try:
        trees = parse_newick(src)
    except ParseError as err:
        return fail(err.msg)
    for i, root in enumerate(trees):
        num = i + 1
        if cmd == "stats":
            st = compute_stats(root)
            print("tree %d\n  tips: %d\n  internal nodes: %d" % (num, st.tips, st.internal))
            print("  total branch length: %s\n  depth: %d" % (format_length(st.length), st.depth))
        elif cmd == "unroot":
            unroot_tree(root)
            print(write_newick(root))
        elif cmd == "reroot":
            tip = find_tip(root, rest[0])
            if tip is None:
                return fail("error: tree %d has no tip named %s" % (num, rest[0]))
            if len(collect_tips(root)) < 2:
                return fail("error: tree %d has fewer than two tips" % num)
            print(write_newick(reroot_tree(tip)))
        elif cmd == "prune":
            drop = {}
            for name in rest:
                if find_tip(root, name) is None:
                    return fail("error: tree %d has no tip named %s" % (num, name))
                drop[name] = True
            root = prune_tree(root, drop)
            if root is None:
                return fail("error: tree %d would have no tips left" % num)
            print(write_newick(root))
        elif cmd == "bipartitions":
            lines = collect_bipartitions(root)
            print("tree %d: %s" % (num, plural(len(lines), "split")))
            for line in lines:
                print("  " + line)
    return EXIT_OK


if __name__ == "__main__":
    main()
