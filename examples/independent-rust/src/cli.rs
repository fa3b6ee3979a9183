//! Command-line interpretation. Nothing here touches the input.

pub const HELP: &str = "usage: treestat [-i FILE] COMMAND [ARGS...]

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

pub enum Job {
    Stats,
    Unroot,
    Reroot(String),
    Splits,
    Prune(Vec<String>),
}

pub enum Request {
    Help,
    /// No command at all: the help text goes to stderr.
    Nothing,
    /// A mistake on the command line, described without the "error: " prefix.
    Mistake(String),
    /// `source` is None for standard input (also what `-i ""` asks for).
    Work { source: Option<String>, job: Job },
}

pub fn interpret(argv: &[String]) -> Request {
    let mut source = None;
    let mut rest = argv;
    // Flags are only recognised before the command word.
    while let Some(flag) = rest.first().filter(|a| a.starts_with('-')) {
        match flag.as_str() {
            "-h" | "--help" => return Request::Help,
            "-i" if rest.len() >= 2 => {
                source = Some(rest[1].clone()).filter(|p| !p.is_empty());
                rest = &rest[2..];
            }
            "-i" => return Request::Mistake("-i needs a file name".to_string()),
            other => return Request::Mistake(format!("unknown option {}", other)),
        }
    }
    let Some((word, params)) = rest.split_first() else {
        return Request::Nothing;
    };
    let job = match word.as_str() {
        "stats" | "unroot" | "bipartitions" if !params.is_empty() => {
            return Request::Mistake(format!("{} takes no arguments", word))
        }
        "stats" => Job::Stats,
        "unroot" => Job::Unroot,
        "bipartitions" => Job::Splits,
        "reroot" if params.len() == 1 => Job::Reroot(params[0].clone()),
        "reroot" => return Request::Mistake("reroot takes exactly one tip name".to_string()),
        "prune" if params.is_empty() => return Request::Mistake("prune needs at least one tip name".to_string()),
        "prune" => Job::Prune(params.to_vec()),
        _ => return Request::Mistake(format!("unknown command {}", word)),
    };
    Request::Work { source, job }
}
