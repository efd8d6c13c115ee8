import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A small XML tree of an AWS answer. Elements are matched by local name, namespaces ignored
/// (moto's EC2 namespace differs from AWS's by a slash).
public final class XMLNode: @unchecked Sendable {
    public let name: String
    public private(set) var children: [XMLNode] = []
    public private(set) var text = ""

    init(name: String) {
        self.name = name
    }

    /// Parses `data`; nil when it is not XML (moto answers unimplemented calls with HTML).
    public static func parse(_ data: Data) -> XMLNode? {
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else { return nil }
        return root
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

    /// The text of the child at `path` (e.g. "instanceState", "name"), trimmed.
    public func string(_ path: String...) -> String? {
        var node: XMLNode? = self
        for part in path { node = node?.child(part) }
        return node.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// A list: the `member` (Query services) or `item` (EC2) children of the child `name`.
    public func list(_ name: String) -> [XMLNode] {
        guard let holder = child(name) else { return [] }
        return holder.children.filter { $0.name == "member" || $0.name == "item" }
    }

    final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLNode] = []
        var root: XMLNode?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
            let node = XMLNode(name: local)
            if let parent = stack.last { parent.children.append(node) } else { root = node }
            stack.append(node)
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            _ = stack.popLast()
        }
    }
}
