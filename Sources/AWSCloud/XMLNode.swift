import Foundation

/// A small XML tree of an AWS answer. Elements are matched by local name, namespaces ignored
/// (moto's EC2 namespace differs from AWS's by a slash).
public final class XMLNode: @unchecked Sendable {
    public let name: String
    public fileprivate(set) var children: [XMLNode] = []
    /// The answer's bytes, where a plain text lies until it is asked for.
    fileprivate let source: XMLBytes
    /// Where the element's text lies in `source`, when it is one piece without references.
    fileprivate var span: Range<Int> = 0..<0
    /// The element's text when it needed decoding or came in several pieces.
    fileprivate var decoded: String?

    /// The element's own text, entities decoded and trimmed of the whitespace around it.
    ///
    /// Made when asked for, not while the answer is read: what the cache keeps of an answer is
    /// then allocated together after the tree, instead of scattered among the tree's nodes,
    /// whose freed memory the process could not hand back (4.7 KB resident per cached instance
    /// instead of 1.4 KB).
    public var text: String { decoded ?? source.string(span) }

    init(name: String, source: XMLBytes) {
        self.name = name
        self.source = source
    }

    /// Whether the element has text so far.
    fileprivate var hasText: Bool { decoded != nil || !span.isEmpty }

    /// Adds a piece of text, `plain` (bytes of `source`) or already decoded.
    fileprivate func append(plain: Range<Int>? = nil, decoded piece: String? = nil) {
        if let plain, !hasText {
            span = plain
            return
        }
        decoded = text + (piece ?? plain.map(source.string) ?? "")
        span = 0..<0
    }

    /// Trims the whitespace around the text, once the element ends; `bytes` are `source`'s.
    fileprivate func trimText(_ bytes: UnsafeBufferPointer<UInt8>) {
        if let decoded {
            self.decoded = XMLScanner.trimmed(decoded)
        } else {
            var lower = span.lowerBound, upper = span.upperBound
            while lower < upper, XMLScanner.isSpace(bytes[lower]) { lower += 1 }
            while upper > lower, XMLScanner.isSpace(bytes[upper - 1]) { upper -= 1 }
            span = lower..<upper
        }
    }

    /// Parses `data`; nil when it is not well-formed XML (moto answers unimplemented calls
    /// with HTML).
    ///
    /// A scanner of our own, not Foundation's `XMLParser`: a region of 100,000 instances is a
    /// few hundred megabytes of XML, and the parser's delegate calls, one string bridged per
    /// piece of text, took most of the time it took to fill the cache.
    public static func parse(_ data: Data) -> XMLNode? {
        let source = XMLBytes(data)
        return data.withUnsafeBytes { raw in
            var scanner = XMLScanner(raw.bindMemory(to: UInt8.self), source: source)
            return scanner.document()
        }
    }

    /// The first child named `name`.
    public func child(_ name: String) -> XMLNode? { children.first { $0.name == name } }

    /// The children named `name`.
    public func children(_ name: String) -> [XMLNode] { children.filter { $0.name == name } }

    /// The first element named `name` anywhere below, depth first.
    public func find(_ name: String) -> XMLNode? {
        for child in children {
            if child.name == name { return child }
            if let found = child.find(name) { return found }
        }
        return nil
    }

    /// The text of the child at `path` (e.g. "instanceState", "name").
    public func string(_ path: String...) -> String? {
        var node: XMLNode? = self
        for part in path { node = node?.child(part) }
        return node?.text
    }

    /// A list: the `member` (Query services) or `item` (EC2) children of the child `name`.
    public func list(_ name: String) -> [XMLNode] {
        guard let holder = child(name) else { return [] }
        return holder.children.filter { $0.name == "member" || $0.name == "item" }
    }
}

/// The bytes of one answer, kept by its tree for the texts not asked for yet.
final class XMLBytes: Sendable {
    let data: Data

    init(_ data: Data) {
        self.data = data
    }

    /// The bytes at `range` as a new string.
    func string(_ range: Range<Int>) -> String {
        guard !range.isEmpty else { return "" }
        return data.withUnsafeBytes { raw in
            String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self)
        }
    }
}

/// Reads the XML of one answer into `XMLNode`s: elements, their text (with the five named
/// entities, character references and CDATA), comments and processing instructions skipped,
/// attributes read past. A document type, a mismatched or unclosed element, text outside the
/// root, an unknown entity or a second root makes it not XML.
struct XMLScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let source: XMLBytes
    private var index = 0
    /// Element names longer than a string holds inline, made once per answer.
    private var names: [Int: String] = [:]
    /// The open elements, each with where its qualified name lies in `bytes`, to match its end tag.
    private var open: [(node: XMLNode, name: Range<Int>)] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>, source: XMLBytes) {
        self.bytes = bytes
        self.source = source
    }

    private static let lessThan = UInt8(ascii: "<"), greaterThan = UInt8(ascii: ">"), slash = UInt8(ascii: "/")
    private static let question = UInt8(ascii: "?"), bang = UInt8(ascii: "!"), ampersand = UInt8(ascii: "&")
    private static let colon = UInt8(ascii: ":"), semicolon = UInt8(ascii: ";")

    /// The document's root element, or nil when the bytes are not well-formed XML.
    mutating func document() -> XMLNode? {
        var root: XMLNode?
        while index < bytes.count {
            if bytes[index] == Self.lessThan {
                guard index + 1 < bytes.count else { return nil }
                switch bytes[index + 1] {
                case Self.question:
                    guard skip(past: "?>") else { return nil }
                case Self.bang:
                    if starts(with: "<!--") {
                        guard skip(past: "-->") else { return nil }
                    } else if starts(with: "<![CDATA["), let node = open.last?.node {
                        let start = index + 9
                        guard skip(past: "]]>") else { return nil }
                        node.append(decoded: source.string(start..<(index - 3)))
                    } else {
                        return nil
                    }
                case Self.slash:
                    guard let closed = endTag() else { return nil }
                    closed.trimText(bytes)
                case _:
                    let parent = open.last?.node
                    guard let node = startTag() else { return nil }
                    if let parent {
                        parent.children.append(node)
                    } else if root == nil {
                        root = node
                    } else {
                        return nil
                    }
                }
            } else {
                let start = index
                var entities = false
                while index < bytes.count, bytes[index] != Self.lessThan {
                    if bytes[index] == Self.ampersand { entities = true }
                    index += 1
                }
                let piece = UnsafeBufferPointer(rebasing: bytes[start..<index])
                let blank = piece.allSatisfy(Self.isSpace)
                guard let node = open.last?.node else {
                    if blank { continue } else { return nil }
                }
                // The indentation between elements is not kept; blanks inside text are.
                if blank && !node.hasText { continue }
                if entities {
                    guard let decoded = Self.decoded(piece) else { return nil }
                    node.append(decoded: decoded)
                } else {
                    node.append(plain: start..<index)
                }
            }
        }
        return open.isEmpty ? root : nil
    }

    /// Reads `<name attributes…>` or `<name …/>` at `index`; a self-closed element is not left open.
    private mutating func startTag() -> XMLNode? {
        index += 1
        let nameStart = index
        var localStart = index
        while index < bytes.count, !Self.isSpace(bytes[index]), bytes[index] != Self.greaterThan, bytes[index] != Self.slash {
            if bytes[index] == Self.colon { localStart = index + 1 }
            index += 1
        }
        guard index > localStart, index < bytes.count else { return nil }
        let node = XMLNode(name: name(localStart..<index), source: source)
        let nameEnd = index
        var quote: UInt8?
        while index < bytes.count {
            let byte = bytes[index]
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == Self.greaterThan {
                let selfClosed = bytes[index - 1] == Self.slash
                index += 1
                if !selfClosed { open.append((node, nameStart..<nameEnd)) }
                return node
            } else if byte == Self.lessThan {
                return nil
            }
            index += 1
        }
        return nil
    }

    /// Reads `</name>` at `index`, which must close the innermost open element; answers it.
    private mutating func endTag() -> XMLNode? {
        index += 2
        let start = index
        while index < bytes.count, bytes[index] != Self.greaterThan { index += 1 }
        guard index < bytes.count, let (node, name) = open.popLast() else { return nil }
        var end = index
        while end > start, Self.isSpace(bytes[end - 1]) { end -= 1 }
        index += 1
        guard end - start == name.count, zip(bytes[start..<end], bytes[name]).allSatisfy({ $0 == $1 }) else { return nil }
        return node
    }

    private func starts(with prefix: StaticString) -> Bool {
        guard bytes.count - index >= prefix.utf8CodeUnitCount else { return false }
        return prefix.withUTF8Buffer { expected in expected.indices.allSatisfy { bytes[index + $0] == expected[$0] } }
    }

    /// Moves `index` just past the next `terminator`; false when there is none.
    private mutating func skip(past terminator: StaticString) -> Bool {
        terminator.withUTF8Buffer { expected in
            var at = index
            while at + expected.count <= bytes.count {
                if expected.indices.allSatisfy({ bytes[at + $0] == expected[$0] }) {
                    index = at + expected.count
                    return true
                }
                at += 1
            }
            return false
        }
    }

    /// The name at `range`; a long one is made once per answer (AWS's names repeat on every item).
    private mutating func name(_ range: Range<Int>) -> String {
        let piece = UnsafeBufferPointer(rebasing: bytes[range])
        guard piece.count > 15 else { return String(decoding: piece, as: UTF8.self) }
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(piece))
        let key = hasher.finalize()
        if let known = names[key], known.utf8.elementsEqual(piece) { return known }
        let made = String(decoding: piece, as: UTF8.self)
        names[key] = made
        return made
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D
    }

    static func trimmed(_ text: String) -> String {
        let utf8 = text.utf8
        guard let first = utf8.firstIndex(where: { !isSpace($0) }), let last = utf8.lastIndex(where: { !isSpace($0) }) else { return "" }
        if first == utf8.startIndex && last == utf8.index(before: utf8.endIndex) { return text }
        return String(text[first...last])
    }

    /// `piece` with its entity and character references replaced; nil for an unknown or unended one.
    private static func decoded(_ piece: UnsafeBufferPointer<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(piece.count)
        var at = 0
        while at < piece.count {
            guard piece[at] == ampersand else {
                out.append(piece[at])
                at += 1
                continue
            }
            guard let end = piece[at...].prefix(12).firstIndex(of: semicolon) else { return nil }
            let reference = String(decoding: UnsafeBufferPointer(rebasing: piece[(at + 1)..<end]), as: UTF8.self)
            switch reference {
            case "lt": out.append(lessThan)
            case "gt": out.append(greaterThan)
            case "amp": out.append(ampersand)
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            case _ where reference.hasPrefix("#"):
                let digits = reference.dropFirst()
                let value = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
                guard let value, let scalar = Unicode.Scalar(value) else { return nil }
                out.append(contentsOf: String(Character(scalar)).utf8)
            default:
                return nil
            }
            at = end + 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
