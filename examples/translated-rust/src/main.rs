//! Command treestat reads phylogenetic trees in Newick format and reports
//! on them or rewrites them. See USAGE_TEXT for the commands.

mod newick;
mod tree;

use std::collections::HashSet;
use std::io::Read;
use std::process;

use newick::{format_length, parse_newick, write_newick};
use tree::{collect_bipartitions, collect_tips, compute_stats, find_tip, prune_tree, reroot_tree, unroot_tree};

const EXIT_OK: i32 = 0;
const EXIT_ERROR: i32 = 1; // bad input or a tip that does not exist
const EXIT_USAGE: i32 = 2; // bad command line

const USAGE_TEXT: &str = "usage: treestat [-i FILE] COMMAND [ARGS...]

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
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    process::exit(run(&args));
}

/// usage_error reports a command-line mistake and returns the exit code.
fn usage_error(msg: &str) -> i32 {
    eprint!("error: {}\nrun 'treestat --help' for usage\n", msg);
    EXIT_USAGE
}

/// fail reports a problem with the input and returns the exit code.
fn fail(msg: &str) -> i32 {
    eprintln!("{}", msg);
    EXIT_ERROR
}

/// check_arity validates the command name and its argument count before any
/// input is read, and returns a message for usage_error or "".
fn check_arity(cmd: &str, rest: &[String]) -> String {
    match cmd {
        "stats" | "unroot" | "bipartitions" => {
            if !rest.is_empty() {
                return format!("{} takes no arguments", cmd);
            }
        }
        "reroot" => {
            if rest.len() != 1 {
                return "reroot takes exactly one tip name".to_string();
            }
        }
        "prune" => {
            if rest.is_empty() {
                return "prune needs at least one tip name".to_string();
            }
        }
        _ => return format!("unknown command {}", cmd),
    }
    String::new()
}

fn read_input(path: &str) -> std::io::Result<Vec<u8>> {
    if path.is_empty() {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        return Ok(buf);
    }
    std::fs::read(path)
}

/// plural formats a count with its noun, adding an "s" unless it is one.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        return format!("1 {}", noun);
    }
    format!("{} {}s", n, noun)
}

/// run does the work of main and returns the exit code. Options come first,
/// then the command and its arguments.
fn run(mut args: &[String]) -> i32 {
    let mut input_path = "";
    while !args.is_empty() && args[0].starts_with('-') {
        match args[0].as_str() {
            "-h" | "--help" => {
                print!("{}", USAGE_TEXT);
                return EXIT_OK;
            }
            "-i" => {
                if args.len() < 2 {
                    return usage_error("-i needs a file name");
                }
                input_path = &args[1];
                args = &args[2..];
            }
            other => return usage_error(&format!("unknown option {}", other)),
        }
    }
    if args.is_empty() {
        eprint!("{}", USAGE_TEXT);
        return EXIT_USAGE;
    }
    let (cmd, rest) = (args[0].as_str(), &args[1..]);
    let msg = check_arity(cmd, rest);
    if !msg.is_empty() {
        return usage_error(&msg);
    }
    let src = match read_input(input_path) {
        Ok(src) => src,
        Err(_) => return fail(&format!("error: cannot read {}", input_path)),
    };
    let trees = match parse_newick(&src) {
        Ok(trees) => trees,
        Err(err) => return fail(&err.msg),
    };
    for (i, root) in trees.iter().enumerate() {
        let num = i + 1;
        match cmd {
            "stats" => {
                let st = compute_stats(root);
                print!("tree {}\n  tips: {}\n  internal nodes: {}\n", num, st.tips, st.internal);
                print!("  total branch length: {}\n  depth: {}\n", format_length(st.length), st.depth);
            }
            "unroot" => {
                unroot_tree(root);
                println!("{}", write_newick(root));
            }
            "reroot" => {
                let tip = match find_tip(root, &rest[0]) {
                    Some(tip) => tip,
                    None => return fail(&format!("error: tree {} has no tip named {}", num, rest[0])),
                };
                if collect_tips(root, None).len() < 2 {
                    return fail(&format!("error: tree {} has fewer than two tips", num));
                }
                println!("{}", write_newick(&reroot_tree(&tip)));
            }
            "prune" => {
                let mut drop = HashSet::new();
                for name in rest {
                    if find_tip(root, name).is_none() {
                        return fail(&format!("error: tree {} has no tip named {}", num, name));
                    }
                    drop.insert(name.clone());
                }
                match prune_tree(root, &drop) {
                    None => return fail(&format!("error: tree {} would have no tips left", num)),
                    Some(root) => println!("{}", write_newick(&root)),
                }
            }
            "bipartitions" => {
                let lines = collect_bipartitions(root);
                println!("tree {}: {}", num, plural(lines.len(), "split"));
                for line in &lines {
                    println!("  {}", line);
                }
            }
            _ => {}
        }
    }
    EXIT_OK
}
