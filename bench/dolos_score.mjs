// Score one pair with Dolos (@dodona/dolos-lib), as memaudit's benchmark anchor.
//
// usage: node dolos_score.mjs DOLOS_DIR FILE_A FILE_B LANGUAGE
//   DOLOS_DIR  directory where `npm install @dodona/dolos-lib` was run (the benchmark cache)
//   FILE_A/B   one file per side: the side's files concatenated by bench/tools.py
//   LANGUAGE   the Dolos language both files are tokenized with (Dolos analyses one language)
//
// Prints one JSON object: similarity, longest fragment, overlap and the token totals of the pair,
// or {"error": message} (exit code 3) if Dolos cannot analyse the input.
import { createRequire } from "module";
import { readFileSync } from "fs";
import path from "path";

const [dolosDir, fileA, fileB, language] = process.argv.slice(2);
if (!language) {
  console.error("usage: node dolos_score.mjs DOLOS_DIR FILE_A FILE_B LANGUAGE");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(dolosDir), "package.json"));
const { Dolos, File } = await import(require.resolve("@dodona/dolos-lib"));

try {
  const files = [fileA, fileB].map(f => new File(path.basename(f), readFileSync(f, "utf8")));
  const dolos = new Dolos({ language });
  const report = await dolos.analyze(files);
  const pairs = report.allPairs();
  if (pairs.length !== 1) throw new Error(`expected one pair, got ${pairs.length}`);
  const p = pairs[0];
  const leftIsA = p.leftFile.path === files[0].path;
  console.log(JSON.stringify({
    similarity: p.similarity,
    longest: p.longest,
    overlap: p.overlap,
    covered_a: leftIsA ? p.leftCovered : p.rightCovered,
    covered_b: leftIsA ? p.rightCovered : p.leftCovered,
    total_a: leftIsA ? p.leftTotal : p.rightTotal,
    total_b: leftIsA ? p.rightTotal : p.leftTotal,
    language: report.language ? report.language.name : language,
    warnings: report.warnings,
  }));
} catch (err) {
  console.log(JSON.stringify({ error: String(err && err.message ? err.message : err) }));
  process.exit(3);
}
