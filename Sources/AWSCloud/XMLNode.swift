import Foundation

/// An element of an AWS answer's XML. Elements are matched by local name, namespaces ignored
/// (moto's EC2 namespace differs from AWS's by a slash).
///
/// The elements of an answer lie in one array of its `XMLDocument`, not one object each: a
/// region of 100,000 instances is a few hundred megabytes of XML, and millions of small
/// short-lived nodes, freed among the records the cache keeps, left the process holding
/// memory it could not hand back.
public struct XMLNode: Sendable {
    let document: XMLDocument
    let index: Int32

    /// The element's local name.
    public var name: String { document.names[Int(document.elements[Int(index)].name)] }

    /// The child elements, in order.
    public var children: [XMLNode] {
        var found: [XMLNode] = []
        forEachChild { found.append($0) }
        return found
    }

    /// The element's own text, entities decoded and trimmed of the whitespace around it; made
    /// when asked for, so that what the cache keeps of an answer is allocated together.
    public var text: String {
        let element = document.elements[Int(index)]
        if element.decoded >= 0 { return document.decoded[Int(element.decoded)] }
        return document.string(Int(element.textStart)..<Int(element.textEnd))
    }

    /// Parses `data`; nil when it is not well-formed XML (moto answers unimplemented calls
    /// with HTML).
    ///
    /// A scanner of our own, not Foundation's `XMLParser`, whose delegate calls (one string
    /// bridged per piece of text) took most of the time it took to fill the cache.
    public static func parse(_ data: Data) -> XMLNode? {
        // Positions are kept as 32-bit numbers; answers are read up to 64 MiB.
        guard data.count < Int32.max else { return nil }
        let document: XMLDocument? = data.withUnsafeBytes { raw in
            var scanner = XMLScanner(raw.bindMemory(to: UInt8.self))
            guard scanner.document() else { return nil }
            return XMLDocument(data: data, names: scanner.names, elements: scanner.elements, decoded: scanner.decoded)
        }
        return document.map { XMLNode(document: $0, index: 0) }
    }

    private func forEachChild(_ body: (XMLNode) -> Void) {
        var child = document.elements[Int(index)].firstChild
        while child >= 0 {
            body(XMLNode(document: document, index: child))
            child = document.elements[Int(child)].nextSibling
        }
    }

    /// The first child named `name`.
    public func child(_ name: String) -> XMLNode? {
        var child = document.elements[Int(index)].firstChild
        while child >= 0 {
            let node = XMLNode(document: document, index: child)
            if node.name == name { return node }
            child = document.elements[Int(child)].nextSibling
        }
        return nil
    }

    /// The children named `name`.
    public func children(_ name: String) -> [XMLNode] {
        var found: [XMLNode] = []
        forEachChild { if $0.name == name { found.append($0) } }
        return found
    }

    /// The first element named `name` anywhere below, depth first.
    public func find(_ name: String) -> XMLNode? {
        var child = document.elements[Int(index)].firstChild
        while child >= 0 {
            let node = XMLNode(document: document, index: child)
            if node.name == name { return node }
            if let found = node.find(name) { return found }
            child = document.elements[Int(child)].nextSibling
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
        var found: [XMLNode] = []
        holder.forEachChild { if $0.name == "member" || $0.name == "item" { found.append($0) } }
        return found
    }
}

/// One answer read: its bytes, where the elements' plain texts lie until asked for, and its
/// elements in the order they start (the root first).
final class XMLDocument: Sendable {
    let data: Data
    let names: [String]
    let elements: [XMLElementEntry]
    /// The texts that needed decoding or came in several pieces.
    let decoded: [String]

    init(data: Data, names: [String], elements: [XMLElementEntry], decoded: [String]) {
        self.data = data
        self.names = names
        self.elements = elements
        self.decoded = decoded
    }

    /// The bytes at `range` as a new string.
    func string(_ range: Range<Int>) -> String {
        guard !range.isEmpty else { return "" }
        return data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self)
        }
    }
}

/// An element in its document's array: the number of its name, its first child and next
/// sibling (-1 for none), and its text: a range of the answer's bytes, or a decoded text's number.
struct XMLElementEntry: Sendable {
    var name: Int32
    var firstChild: Int32 = -1
    var nextSibling: Int32 = -1
    var textStart: Int32 = 0
    var textEnd: Int32 = 0
    var decoded: Int32 = -1

    var hasText: Bool { decoded >= 0 || textEnd > textStart }
}

/// Reads the XML of one answer into `XMLElementEntry`s: elements, their text (with the five
/// named entities, character references and CDATA), comments and processing instructions
/// skipped, attributes read past. A document type, a mismatched or unclosed element, text
/// outside the root, an unknown entity, a second root or elements nested deeper than
/// `maxDepth` makes it not XML.
struct XMLScanner {
    /// The deepest nesting read, as libxml2 (Foundation's parser) allows by default: AWS nests
    /// a dozen deep, and `XMLNode.find` walks down one call per level.
    static let maxDepth = 256

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private(set) var names: [String] = []
    private var nameNumbers: [Int: Int32] = [:]
    private(set) var elements: [XMLElementEntry] = []
    private(set) var decoded: [String] = []
    /// The open elements: each one's number, where its qualified name lies in `bytes` (to match
    /// its end tag) and its last child so far.
    private var open: [OpenElement] = []
    /// Where each name of `names` was first seen in `bytes`, to compare a name read again.
    private var nameSpans: [Range<Int>] = []

    /// An element whose end tag has not come yet. (A struct, not a tuple: a debug build looks a
    /// tuple's type up at run time on every use, which made the tests' fills many times slower.)
    private struct OpenElement {
        var element: Int32
        var name: Range<Int>
        var lastChild: Int32
    }

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        // Room for the elements at once: growing by doubling copied them and touched fresh
        // memory at every step. Room never used is never touched.
        elements.reserveCapacity(bytes.count / 16)
    }

    private static let lessThan = UInt8(ascii: "<"), greaterThan = UInt8(ascii: ">"), slash = UInt8(ascii: "/")
    private static let question = UInt8(ascii: "?"), bang = UInt8(ascii: "!"), ampersand = UInt8(ascii: "&")
    private static let colon = UInt8(ascii: ":"), semicolon = UInt8(ascii: ";")

    /// Reads the whole answer; false when it is not well-formed XML. The root is element 0.
    mutating func document() -> Bool {
        while index < bytes.count {
            if bytes[index] == Self.lessThan {
                guard index + 1 < bytes.count else { return false }
                switch bytes[index + 1] {
                case Self.question:
                    guard skip(past: "?>") else { return false }
                case Self.bang:
                    if starts(with: "<!--") {
                        guard skip(past: "-->") else { return false }
                    } else if starts(with: "<![CDATA["), let element = open.last?.element {
                        let start = index + 9
                        guard skip(past: "]]>") else { return false }
                        append(decoded: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(index - 3)]), as: UTF8.self), to: element)
                    } else {
                        return false
                    }
                case Self.slash:
                    guard let closed = endTag() else { return false }
                    trimText(of: closed)
                case _:
                    if open.isEmpty && !elements.isEmpty { return false }
                    guard startTag() else { return false }
                }
            } else {
                let start = index
                var entities = false, blank = true
                while index < bytes.count {
                    let byte = bytes[index]
                    if byte == Self.lessThan { break }
                    if byte == Self.ampersand { entities = true }
                    if blank && !Self.isSpace(byte) { blank = false }
                    index += 1
                }
                let piece = UnsafeBufferPointer(rebasing: bytes[start..<index])
                guard let element = open.last?.element else {
                    if blank { continue } else { return false }
                }
                // The indentation between elements is not kept; blanks inside text are.
                if blank && !elements[Int(element)].hasText { continue }
                if entities {
                    guard let text = Self.decoded(piece) else { return false }
                    append(decoded: text, to: element)
                } else if !elements[Int(element)].hasText {
                    elements[Int(element)].textStart = Int32(start)
                    elements[Int(element)].textEnd = Int32(index)
                } else {
                    append(decoded: String(decoding: piece, as: UTF8.self), to: element)
                }
            }
        }
        return open.isEmpty && !elements.isEmpty
    }

    /// Adds decoded text to what `element` has so far.
    private mutating func append(decoded text: String, to element: Int32) {
        let entry = elements[Int(element)]
        let sofar = entry.decoded >= 0 ? decoded[Int(entry.decoded)]
            : String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(entry.textStart)..<Int(entry.textEnd)]), as: UTF8.self)
        if entry.decoded >= 0 {
            decoded[Int(entry.decoded)] = sofar + text
        } else {
            decoded.append(sofar + text)
            elements[Int(element)].decoded = Int32(decoded.count - 1)
        }
    }

    /// Trims the whitespace around `element`'s text, once it ends.
    private mutating func trimText(of element: Int32) {
        let entry = elements[Int(element)]
        if entry.decoded >= 0 {
            decoded[Int(entry.decoded)] = Self.trimmed(decoded[Int(entry.decoded)])
        } else {
            var lower = Int(entry.textStart), upper = Int(entry.textEnd)
            while lower < upper, Self.isSpace(bytes[lower]) { lower += 1 }
            while upper > lower, Self.isSpace(bytes[upper - 1]) { upper -= 1 }
            elements[Int(element)].textStart = Int32(lower)
            elements[Int(element)].textEnd = Int32(upper)
        }
    }

    /// Reads `<name attributes…>` or `<name …/>` at `index` into a new element, a child of the
    /// innermost open one; a self-closed element is not left open.
    private mutating func startTag() -> Bool {
        index += 1
        let nameStart = index
        var localStart = index
        while index < bytes.count, !Self.isSpace(bytes[index]), bytes[index] != Self.greaterThan, bytes[index] != Self.slash {
            if bytes[index] == Self.colon { localStart = index + 1 }
            index += 1
        }
        guard index > localStart, index < bytes.count else { return false }
        let number = Int32(elements.count)
        elements.append(XMLElementEntry(name: name(localStart..<index)))
        if let parent = open.indices.last {
            if open[parent].lastChild >= 0 {
                elements[Int(open[parent].lastChild)].nextSibling = number
            } else {
                elements[Int(open[parent].element)].firstChild = number
            }
            open[parent].lastChild = number
        }
        let nameEnd = index
        var quote: UInt8?
        while index < bytes.count {
            let byte = bytes[index]
            if let opening = quote {
                if byte == opening { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == Self.greaterThan {
                let selfClosed = bytes[index - 1] == Self.slash
                index += 1
                guard !selfClosed else { return true }
                guard open.count < Self.maxDepth else { return false }
                open.append(OpenElement(element: number, name: nameStart..<nameEnd, lastChild: -1))
                return true
            } else if byte == Self.lessThan {
                return false
            }
            index += 1
        }
        return false
    }

    /// Reads `</name>` at `index`, which must close the innermost open element; answers its number.
    private mutating func endTag() -> Int32? {
        index += 2
        let start = index
        while index < bytes.count, bytes[index] != Self.greaterThan { index += 1 }
        guard index < bytes.count, let closing = open.popLast() else { return nil }
        var end = index
        while end > start, Self.isSpace(bytes[end - 1]) { end -= 1 }
        index += 1
        guard same(start..<end, closing.name) else { return nil }
        return closing.element
    }

    private func starts(with prefix: StaticString) -> Bool {
        matches(prefix, at: index)
    }

    /// Whether the bytes at `at` are `expected`'s.
    private func matches(_ expected: StaticString, at: Int) -> Bool {
        guard bytes.count - at >= expected.utf8CodeUnitCount else { return false }
        return expected.withUTF8Buffer { expected in expected.indices.allSatisfy { bytes[at + $0] == expected[$0] } }
    }

    /// Moves `index` just past the next `terminator`; false when there is none.
    private mutating func skip(past terminator: StaticString) -> Bool {
        var at = index
        while at + terminator.utf8CodeUnitCount <= bytes.count {
            if matches(terminator, at: at) {
                index = at + terminator.utf8CodeUnitCount
                return true
            }
            at += 1
        }
        return false
    }

    /// The number of the name at `range`, made once per answer (AWS's names repeat on every item).
    private mutating func name(_ range: Range<Int>) -> Int32 {
        guard !range.isEmpty else { return hashedName(range) }
        // Most names were seen a moment ago: a slot picked by a few of their bytes finds them
        // without hashing all of them.
        let slot = (range.count &* 31 &+ Int(bytes[range.lowerBound]) &* 7 &+ Int(bytes[range.upperBound - 1])
            &+ Int(bytes[range.lowerBound + range.count / 2]) &* 3) & (XMLScanner.recentSlots - 1)
        let recent = recentNames[slot]
        if recent >= 0, same(range, nameSpans[Int(recent)]) { return recent }
        let number = hashedName(range)
        recentNames[slot] = number
        return number
    }

    /// Names seen lately, by a slot their bytes pick.
    private var recentNames = [Int32](repeating: -1, count: XMLScanner.recentSlots)
    private static let recentSlots = 256

    /// The number of the name at `range`, found by hashing it.
    private mutating func hashedName(_ range: Range<Int>) -> Int32 {
        let piece = UnsafeBufferPointer(rebasing: bytes[range])
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(piece))
        let key = hasher.finalize()
        if let known = nameNumbers[key], same(range, nameSpans[Int(known)]) { return known }
        names.append(String(decoding: piece, as: UTF8.self))
        nameSpans.append(range)
        let number = Int32(names.count - 1)
        if nameNumbers[key] == nil { nameNumbers[key] = number }
        return number
    }

    /// Whether the bytes at `a` and at `b` are the same.
    private func same(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        guard a.count == b.count else { return false }
        guard let base = bytes.baseAddress else { return a.isEmpty }
        return memcmp(base + a.lowerBound, base + b.lowerBound, a.count) == 0
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
