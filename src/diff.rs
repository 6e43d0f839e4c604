//! A small unified diff (longest common subsequence over lines), for `render --check`.

/// The unified diff of `old` → `new` with three lines of context, or an empty string when equal.
pub fn unified(old_name: &str, new_name: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = edit_script(&a, &b);
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    const CONTEXT: usize = 3;
    // Group the script into hunks: runs of changes with up to 2×CONTEXT equal lines between.
    let mut i = 0;
    while i < ops.len() {
        if matches!(ops[i], Op::Equal(..)) {
            i += 1;
            continue;
        }
        let start = i.saturating_sub(CONTEXT);
        let mut last_change = i;
        for (j, op) in ops.iter().enumerate().skip(i + 1) {
            if !matches!(op, Op::Equal(..)) {
                if j - last_change - 1 > 2 * CONTEXT {
                    break;
                }
                last_change = j;
            }
        }
        let end = (last_change + 1 + CONTEXT).min(ops.len());
        let hunk = &ops[start..end];
        let (old_start, new_start) = positions(&ops[..start]);
        let old_len = hunk.iter().filter(|o| !matches!(o, Op::Insert(_))).count();
        let new_len = hunk.iter().filter(|o| !matches!(o, Op::Delete(_))).count();
        out.push_str(&format!(
            "@@ -{},{old_len} +{},{new_len} @@\n",
            old_start + usize::from(old_len > 0),
            new_start + usize::from(new_len > 0)
        ));
        for op in hunk {
            match op {
                Op::Equal(line) => out.push_str(&format!(" {line}\n")),
                Op::Delete(line) => out.push_str(&format!("-{line}\n")),
                Op::Insert(line) => out.push_str(&format!("+{line}\n")),
            }
        }
        i = end;
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op<'a> {
    Equal(&'a str),
    Delete(&'a str),
    Insert(&'a str),
}

/// Lines of old and new consumed by `ops`.
fn positions(ops: &[Op]) -> (usize, usize) {
    ops.iter().fold((0, 0), |(a, b), op| match op {
        Op::Equal(_) => (a + 1, b + 1),
        Op::Delete(_) => (a + 1, b),
        Op::Insert(_) => (a, b + 1),
    })
}

/// The edit script from the LCS table (manifest files are small: quadratic is fine).
fn edit_script<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Op<'a>> {
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::with_capacity(n + m);
    while i < n && j < m {
        if a[i] == b[j] {
            ops.push(Op::Equal(a[i]));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            ops.push(Op::Delete(a[i]));
            i += 1;
        } else {
            ops.push(Op::Insert(b[j]));
            j += 1;
        }
    }
    ops.extend(a[i..].iter().map(|l| Op::Delete(l)));
    ops.extend(b[j..].iter().map(|l| Op::Insert(l)));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(unified("a", "b", "x\ny\n", "x\ny\n"), "");
    }

    #[test]
    fn a_changed_line_with_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        assert_eq!(
            unified("a/f", "b/f", old, new),
            "--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn added_and_removed_files() {
        assert_eq!(
            unified("a", "b", "", "x\n"),
            "--- a\n+++ b\n@@ -0,0 +1,1 @@\n+x\n"
        );
        assert_eq!(
            unified("a", "b", "x\n", ""),
            "--- a\n+++ b\n@@ -1,1 +0,0 @@\n-x\n"
        );
    }

    #[test]
    fn distant_changes_make_two_hunks() {
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new = old.replace("2\n", "two\n").replace("18\n", "eighteen\n");
        let diff = unified("a", "b", &old, &new);
        assert_eq!(diff.matches("@@ -").count(), 2, "{diff}");
    }
}
