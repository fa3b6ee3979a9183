// Command treestat reads phylogenetic trees in Newick format and reports
// on them or rewrites them. See usageText for the commands.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

const (
	exitOK    = 0
	exitError = 1 // bad input or a tip that does not exist
	exitUsage = 2 // bad command line
)

const usageText = `usage: treestat [-i FILE] COMMAND [ARGS...]

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
`

func main() {
	os.Exit(run(os.Args[1:]))
}

// usageError reports a command-line mistake and returns the exit code.
func usageError(msg string) int {
	fmt.Fprintf(os.Stderr, "error: %s\nrun 'treestat --help' for usage\n", msg)
	return exitUsage
}

// fail reports a problem with the input and returns the exit code.
func fail(format string, args ...interface{}) int {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	return exitError
}

// checkArity validates the command name and its argument count before any
// input is read, and returns a message for usageError or "".
func checkArity(cmd string, rest []string) string {
	switch cmd {
	case "stats", "unroot", "bipartitions":
		if len(rest) != 0 {
			return cmd + " takes no arguments"
		}
	case "reroot":
		if len(rest) != 1 {
			return "reroot takes exactly one tip name"
		}
	case "prune":
		if len(rest) == 0 {
			return "prune needs at least one tip name"
		}
	default:
		return "unknown command " + cmd
	}
	return ""
}

func readInput(path string) ([]byte, error) {
	if path == "" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(path)
}

// plural formats a count with its noun, adding an "s" unless it is one.
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// run does the work of main and returns the exit code. Options come first,
// then the command and its arguments.
func run(args []string) int {
	inputPath := ""
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-h", "--help":
			fmt.Print(usageText)
			return exitOK
		case "-i":
			if len(args) < 2 {
				return usageError("-i needs a file name")
			}
			inputPath, args = args[1], args[2:]
		default:
			return usageError("unknown option " + args[0])
		}
	}
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usageText)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	if msg := checkArity(cmd, rest); msg != "" {
		return usageError(msg)
	}
	src, err := readInput(inputPath)
	if err != nil {
		return fail("error: cannot read %s", inputPath)
	}
	trees, err := parseNewick(src)
	if err != nil {
		return fail("%s", err)
	}
	for i, root := range trees {
		num := i + 1
		switch cmd {
		case "stats":
			st := computeStats(root)
			fmt.Printf("tree %d\n  tips: %d\n  internal nodes: %d\n", num, st.tips, st.internal)
			fmt.Printf("  total branch length: %s\n  depth: %d\n", formatLength(st.length), st.depth)
		case "unroot":
			unrootTree(root)
			fmt.Println(writeNewick(root))
		case "reroot":
			tip := findTip(root, rest[0])
			if tip == nil {
				return fail("error: tree %d has no tip named %s", num, rest[0])
			}
			if len(collectTips(root, nil)) < 2 {
				return fail("error: tree %d has fewer than two tips", num)
			}
			fmt.Println(writeNewick(rerootTree(tip)))
		case "prune":
			drop := map[string]bool{}
			for _, name := range rest {
				if findTip(root, name) == nil {
					return fail("error: tree %d has no tip named %s", num, name)
				}
				drop[name] = true
			}
			if root = pruneTree(root, drop); root == nil {
				return fail("error: tree %d would have no tips left", num)
			}
			fmt.Println(writeNewick(root))
		case "bipartitions":
			lines := collectBipartitions(root)
			fmt.Printf("tree %d: %s\n", num, plural(len(lines), "split"))
			for _, line := range lines {
				fmt.Println("  " + line)
			}
		}
	}
	return exitOK
}
