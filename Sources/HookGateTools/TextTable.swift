import Foundation

/// Plain-text tables for terminals and scripts: columns padded to their widest cell and
/// separated by two spaces; the last column is not padded.
package enum TextTable {
    /// The table with `header` as its first line, one line per row.
    package static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
