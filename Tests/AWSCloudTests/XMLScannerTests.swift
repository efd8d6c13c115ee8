import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import AsgardCore
@testable import AWSCloud

@Suite("The XML scanner")
struct XMLScannerTests {
    /// A tree as Foundation's `XMLParser` reads it: name, trimmed text, children.
    indirect enum Tree: Equatable, CustomStringConvertible {
        case element(String, String, [Tree])

        init(_ node: AWSCloud.XMLNode) {
            self = .element(node.name, node.text, node.children.map(Tree.init))
        }

        var description: String {
            guard case let .element(name, text, children) = self else { return "" }
            return "<\(name)>\(text)\(children.map(\.description).joined())</\(name)>"
        }
    }

    final class Reference: NSObject, XMLParserDelegate {
        var stack: [(name: String, text: String, children: [Tree])] = []
        var root: Tree?

        static func parse(_ text: String) -> Tree? {
            let reference = Reference()
            let parser = XMLParser(data: Data(text.utf8))
            parser.delegate = reference
            return parser.parse() ? reference.root : nil
        }

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            stack.append((elementName.split(separator: ":").last.map(String.init) ?? elementName, "", []))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !stack.isEmpty { stack[stack.count - 1].text += string }
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            if !stack.isEmpty { stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self) }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            guard let done = stack.popLast() else { return }
            let tree = Tree.element(done.name, done.text.trimmingCharacters(in: .whitespacesAndNewlines), done.children)
            if stack.isEmpty { root = tree } else { stack[stack.count - 1].children.append(tree) }
        }
    }

    @Test func anAWSAnswerIsReadWithItsNamespacesEntitiesAndListsAsFoundationReadsIt() throws {
        let answer = """
            <?xml version="1.0" encoding="UTF-8"?>
            <DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
                <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
                <!-- a comment -->
                <reservationSet>
                    <item><instancesSet><item>
                        <instanceId>i-0598c7d356eba48d7</instanceId>
                        <instanceState><code>16</code><name>running</name></instanceState>
                        <tagSet><item><key>Name</key><value>shop &amp; &lt;cart&gt; &quot;v2&quot; &apos;x&apos; &#233;&#x263A;</value></item></tagSet>
                        <placement><availabilityZone>us-east-1a</availabilityZone><groupName/></placement>
                        <description><![CDATA[a <raw> & text]]></description>
                    </item></instancesSet></item>
                </reservationSet>
                <ec2:nextToken xmlns:ec2="x">token=1</ec2:nextToken >
            </DescribeInstancesResponse>
            """
        let root = try #require(AWSCloud.XMLNode.parse(Data(answer.utf8)))
        #expect(Tree(root) == Reference.parse(answer))
        let instance = try #require(root.list("reservationSet").first?.list("instancesSet").first)
        #expect(instance.string("instanceState", "name") == "running")
        #expect(instance.list("tagSet").first?.string("value") == "shop & <cart> \"v2\" 'x' é☺")
        #expect(instance.string("placement", "groupName") == "")
        #expect(instance.string("description") == "a <raw> & text")
        #expect(root.find("nextToken")?.text == "token=1")
    }

    @Test(arguments: [
        ("<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>", "HTML"),
        ("<a><b></a></b>", "mismatched end tags"),
        ("<a><b></b>", "an unclosed element"),
        ("text<a/>", "text outside the root"),
        ("<a>&nbsp;</a>", "an unknown entity"),
        ("<a>&amp</a>", "an unended reference"),
        ("<a x=\"1></a>", "an unended attribute"),
        ("<a><!-- unended </a>", "an unended comment"),
        ("", "nothing"),
        ("<>", "a nameless element"),
        ("<a></ab>", "an end tag longer than its start tag"),
    ])
    func whatIsNotXMLIsRefusedAsFoundationRefusesIt(text: String, what: String) {
        #expect(AWSCloud.XMLNode.parse(Data(text.utf8)) == nil, "\(what)")
        #expect(Reference.parse(text) == nil, "Foundation takes \(what)")
    }

    /// Foundation's parser on Linux stops after the first root and answers it; this one refuses.
    /// The next page is asked for with the token found at the end of a page's bytes, before
    /// the page is parsed; the parsed token decides, so a hint may be missing but never wrong
    /// in the cases AWS answers.
    @Test func aPagesTokenIsFoundAtTheEndOfItsBytesWithoutParsing() throws {
        let page = """
            <DescribeInstancesResponse><reservationSet><item><tagSet><item><key>note</key>\
            <value>&lt;nextToken&gt;fake&lt;/nextToken&gt;</value></item></tagSet></item></reservationSet>\
            <nextToken>eyJ2IjoyLCJjIjoi+/=</nextToken></DescribeInstancesResponse>
            """
        #expect(AWSQueryClient.tokenHint(in: Data(page.utf8), element: "nextToken") == "eyJ2IjoyLCJjIjoi+/=")
        let parsed = try #require(XMLNode.parse(Data(page.utf8)))
        #expect(parsed.find("nextToken")?.string() == "eyJ2IjoyLCJjIjoi+/=")
        #expect(AWSQueryClient.tokenHint(in: Data("<R><NextToken>a&amp;b</NextToken></R>".utf8), element: "NextToken") == nil)
        #expect(AWSQueryClient.tokenHint(in: Data("<R><Items/></R>".utf8), element: "NextToken") == nil)
        #expect(AWSQueryClient.tokenHint(in: Data("<R><NextToken></NextToken></R>".utf8), element: "NextToken") == nil)
        #expect(AWSQueryClient.tokenHint(in: Data("<NextToken>cut".utf8), element: "NextToken") == nil)
        #expect(AWSQueryClient.tokenHint(in: Data(), element: "NextToken") == nil)
    }

    @Test func aSecondRootIsRefused() {
        #expect(AWSCloud.XMLNode.parse(Data("<a/><b/>".utf8)) == nil)
        #expect(AWSCloud.XMLNode.parse(Data("<a/>".utf8))?.name == "a")
    }

    /// An endpoint that answers elements nested a million deep cannot make a search of the tree
    /// run out of stack: past libxml2's default depth the answer is not XML.
    @Test func elementsNestedDeeperThanLibxml2AllowsAreRefused() throws {
        func nested(_ depth: Int) -> Data { Data((String(repeating: "<a>", count: depth) + "x" + String(repeating: "</a>", count: depth)).utf8) }
        let deepest = try #require(AWSCloud.XMLNode.parse(nested(XMLScanner.maxDepth)))
        #expect(deepest.find("b") == nil && deepest.children.count == 1)
        #expect(AWSCloud.XMLNode.parse(nested(XMLScanner.maxDepth + 1)) == nil)
        #expect(AWSCloud.XMLNode.parse(nested(1_000_000)) == nil)
    }

    /// Random documents of nested elements, prefixed names, attributes, entities, CDATA,
    /// comments and whitespace read the same as Foundation reads them.
    @Test func randomDocumentsReadTheSameAsFoundationReadsThem() throws {
        var random = SplitMix64(seed: 42)
        let pieces = ["abc", " ", "<!-- -->", "<!-- -->", "\n  ", "&amp;", "&lt;x&gt;", "&#65;", "&#x1F600;", "é", "<![CDATA[ <c> ]]>", "<!-- note -->", "0"]
        func element(_ depth: Int) -> String {
            let name = ["item", "member", "ec2:instanceId", "a-b.c_d", "Tags"][Int(random.next() % 5)]
            let attributes = random.next() % 3 == 0 ? " xmlns=\"http://x/\" k='v>w'" : ""
            if random.next() % 6 == 0 { return "<\(name)\(attributes)/>" }
            var body = ""
            for _ in 0..<Int(random.next() % 7) {
                body += depth < 3 && random.next() % 3 == 0 ? element(depth + 1) : pieces[Int(random.next() % UInt64(pieces.count))]
            }
            return "<\(name)\(attributes)>\(body)</\(name)>"
        }
        for _ in 0..<300 {
            let document = "<?xml version=\"1.0\"?>\n" + element(0) + "\n"
            let expected = Reference.parse(document)
            #expect(expected != nil, "\(document)")
            #expect(AWSCloud.XMLNode.parse(Data(document.utf8)).map(Tree.init) == expected, "\(document)")
        }
    }
}
