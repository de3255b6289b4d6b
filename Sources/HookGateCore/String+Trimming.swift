extension StringProtocol {
    /// Without leading and trailing spaces and tabs: HTTP's optional white space around
    /// header values and list items (RFC 9110 §5.6.3). Nothing else is removed.
    func trimmingSpacesAndTabs() -> String {
        trimming(where: { $0 == " " || $0 == "\t" })
    }

    /// Without leading and trailing Unicode white space (any scalar whose
    /// `properties.isWhitespace` holds, such as no-break space and line breaks).
    func trimmingWhiteSpace() -> String {
        trimming(where: { $0.properties.isWhitespace })
    }

    /// Without the leading and trailing Unicode scalars for which `isTrimmed` holds.
    /// Slices the scalars (no scalar-by-scalar rebuild): a header value of a few hundred
    /// bytes is trimmed for every webhook.
    private func trimming(where isTrimmed: (Unicode.Scalar) -> Bool) -> String {
        let text = String(self)
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, isTrimmed(scalars[start]) { scalars.formIndex(after: &start) }
        while start < end {
            let last = scalars.index(before: end)
            guard isTrimmed(scalars[last]) else { break }
            end = last
        }
        if start == scalars.startIndex, end == scalars.endIndex { return text }
        return String(scalars[start..<end])
    }
}
