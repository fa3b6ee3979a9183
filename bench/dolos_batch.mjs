// One original against many submissions with Dolos (@dodona/dolos-lib), for the speed comparison.
//
// usage: node dolos_batch.mjs DOLOS_DIR LANGUAGE ORIGINAL SUB1 [SUB2 ...]
//   every file is one side's files concatenated (bench/tools.py); Dolos analyses one language and
//   has no way to index one file and query others, so it computes every pair of the set.
//
// Prints one JSON object: the number of pairs Dolos computed and the original's similarity to each
// submission (in argument order), or {"error": message} (exit code 3).
import { createRequire } from "module";
import { readFileSync } from "fs";
import path from "path";

const [dolosDir, language, ...paths] = process.argv.slice(2);
if (paths.length < 2) {
  console.error("usage: node dolos_batch.mjs DOLOS_DIR LANGUAGE ORIGINAL SUB1 [SUB2 ...]");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(dolosDir), "package.json"));
const { Dolos, File } = await import(require.resolve("@dodona/dolos-lib"));

try {
  // Unique names: a submission may repeat when the batch cycles through the available sides.
  const files = paths.map((p, i) => new File(`${i}-${path.basename(p)}`, readFileSync(p, "utf8")));
  const report = await new Dolos({ language }).analyze(files);
  const pairs = report.allPairs();
  const original = files[0].path;
  const byOther = new Map();
  for (const p of pairs) {
    if (p.leftFile.path === original) byOther.set(p.rightFile.path, p.similarity);
    else if (p.rightFile.path === original) byOther.set(p.leftFile.path, p.similarity);
  }
  console.log(JSON.stringify({
    pairs: pairs.length,
    similarities: files.slice(1).map(f => byOther.get(f.path) ?? null),
  }));
} catch (err) {
  console.log(JSON.stringify({ error: String(err && err.message ? err.message : err) }));
  process.exit(3);
}
