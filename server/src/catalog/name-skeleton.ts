/** Characters that read alike in a terminal or a list of names. */
const LOOK_ALIKE: Readonly<Record<string, string>> = { "1": "l", "0": "o" };

/**
 * Folds a skill name to the form two confusable names share: case, separators (`-`, `_`, `.`) and
 * look-alike characters (l/1, o/0) are erased. Two skills may never share a skeleton, so
 * `pdf-tools`, `pdf_tools`, `pdftools` and `pdf-t00ls` cannot coexist.
 */
export function nameSkeleton(name: string): string {
  return [
    ...name
      .normalize("NFKC")
      .toLowerCase()
      .replace(/[-_.\s]/g, ""),
  ]
    .map((c) => LOOK_ALIKE[c] ?? c)
    .join("");
}
