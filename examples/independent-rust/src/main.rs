mod cli;
mod forest;
mod syntax;

use std::collections::HashSet;
use std::io::{Read, Write};

use cli::{Job, Request};
use forest::Tree;

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let status = match cli::interpret(&argv) {
        Request::Help => {
            print!("{}", cli::HELP);
            0
        }
        Request::Nothing => {
            eprint!("{}", cli::HELP);
            2
        }
        Request::Mistake(what) => {
            eprintln!("error: {}", what);
            eprintln!("run 'treestat --help' for usage");
            2
        }
        Request::Work { source, job } => perform(source, &job),
    };
    std::process::exit(status);
}

fn slurp(source: &Option<String>) -> std::io::Result<Vec<u8>> {
    match source {
        Some(path) => std::fs::read(path),
        None => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf)?;
            Ok(buf)
        }
    }
}

/// Reads the trees and applies the job to each. Output is collected and
/// written at the end; a failing tree stops the run, but what the earlier
/// trees produced is still printed.
fn perform(source: Option<String>, job: &Job) -> i32 {
    let bytes = match slurp(&source) {
        Ok(bytes) => bytes,
        Err(_) => {
            eprintln!("error: cannot read {}", source.unwrap_or_default());
            return 1;
        }
    };
    let trees = match syntax::read_trees(&bytes) {
        Ok(trees) => trees,
        Err(message) => {
            eprintln!("{}", message);
            return 1;
        }
    };
    let mut report = String::new();
    let mut failure = None;
    for (k, mut tree) in trees.into_iter().enumerate() {
        if let Err(message) = apply(job, &mut tree, k + 1, &mut report) {
            failure = Some(message);
            break;
        }
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(report.as_bytes());
    let _ = stdout.flush();
    match failure {
        Some(message) => {
            eprintln!("{}", message);
            1
        }
        None => 0,
    }
}

fn apply(job: &Job, tree: &mut Tree, number: usize, report: &mut String) -> Result<(), String> {
    match job {
        Job::Stats => {
            let s = tree.summary();
            report.push_str(&format!(
                "tree {}\n  tips: {}\n  internal nodes: {}\n  total branch length: {}\n  depth: {}\n",
                number,
                s.leaves,
                s.inner,
                syntax::show_len(s.total),
                s.deepest
            ));
        }
        Job::Unroot => {
            tree.dissolve_root();
            report.push_str(&syntax::render(tree));
            report.push('\n');
        }
        Job::Reroot(name) => {
            let leaf = tree
                .leaf_named(name)
                .ok_or_else(|| format!("error: tree {} has no tip named {}", number, name))?;
            if tree.leaves().len() < 2 {
                return Err(format!("error: tree {} has fewer than two tips", number));
            }
            tree.hang_from(leaf);
            report.push_str(&syntax::render(tree));
            report.push('\n');
        }
        Job::Prune(names) => {
            if let Some(missing) = names.iter().find(|n| tree.leaf_named(n).is_none()) {
                return Err(format!("error: tree {} has no tip named {}", number, missing));
            }
            let wanted: HashSet<&str> = names.iter().map(String::as_str).collect();
            if !tree.drop_tips(&wanted) {
                return Err(format!("error: tree {} would have no tips left", number));
            }
            report.push_str(&syntax::render(tree));
            report.push('\n');
        }
        Job::Splits => {
            let lines = tree.splits();
            let noun = if lines.len() == 1 { "split" } else { "splits" };
            report.push_str(&format!("tree {}: {} {}\n", number, lines.len(), noun));
            for line in lines {
                report.push_str("  ");
                report.push_str(&line);
                report.push('\n');
            }
        }
    }
    Ok(())
}
