import AsgardCore
import Testing

/// One row of the parsing table: a name and the parts Frigga gives it.
struct ParsedName: Sendable, CustomTestStringConvertible {
    var name: String
    var cluster: String
    var app: String
    var stack: String? = nil
    var detail: String? = nil
    var push: String? = nil
    var sequence: Int? = nil
    var variables: [LabeledVariable: String] = [:]

    var testDescription: String { name }
}

@Suite("Frigga name parsing")
struct NamesParsingTests {
    static let valid: [ParsedName] = [
        // The examples of reference/asgard.md §2.
        ParsedName(name: "api-test-A-v406", cluster: "api-test-A", app: "api", stack: "test", detail: "A", push: "v406", sequence: 406),
        ParsedName(name: "discovery-us-east-1d", cluster: "discovery-us-east-1d", app: "discovery", stack: "us", detail: "east-1d"),
        ParsedName(name: "actiondrainer--v003", cluster: "actiondrainer-", app: "actiondrainer", push: "v003", sequence: 3),
        ParsedName(name: "cass--my-stuff-c0northamerica-d0prod", cluster: "cass--my-stuff-c0northamerica-d0prod", app: "cass",
                   detail: "my-stuff", variables: [.countries: "northamerica", .devPhase: "prod"]),
        // Our own.
        ParsedName(name: "actiondrainer", cluster: "actiondrainer", app: "actiondrainer"),
        ParsedName(name: "actiondrainer-v003", cluster: "actiondrainer", app: "actiondrainer", push: "v003", sequence: 3),
        ParsedName(name: "actiondrainer---v003", cluster: "actiondrainer--", app: "actiondrainer", push: "v003", sequence: 3),
        ParsedName(name: "app-v000", cluster: "app", app: "app", push: "v000", sequence: 0),
        ParsedName(name: "app-v999", cluster: "app", app: "app", push: "v999", sequence: 999),
        ParsedName(name: "app-v1234", cluster: "app", app: "app", push: "v1234", sequence: 1234),
        ParsedName(name: "app-v123456", cluster: "app", app: "app", push: "v123456", sequence: 123456),
        ParsedName(name: "app-v1234567", cluster: "app-v1234567", app: "app", stack: "v1234567"),
        ParsedName(name: "app-v12", cluster: "app-v12", app: "app", stack: "v12"),
        ParsedName(name: "app-stack-v12-v013", cluster: "app-stack-v12", app: "app", stack: "stack", detail: "v12", push: "v013", sequence: 13),
        // "v001" has the form of a labeled variable (a letter, 0, more), so it is not a stack.
        ParsedName(name: "a-v001-v002", cluster: "a-v001", app: "a", push: "v002", sequence: 2),
        ParsedName(name: "my.app_1-prod", cluster: "my.app_1-prod", app: "my.app_1", stack: "prod"),
        ParsedName(name: "app-stack-", cluster: "app-stack-", app: "app", stack: "stack"),
        ParsedName(name: "discovery-us-east-1d-v001", cluster: "discovery-us-east-1d", app: "discovery", stack: "us",
                   detail: "east-1d", push: "v001", sequence: 1),
        ParsedName(name: "cass-nccpintegration-random-junk-c0northamerica-d0prod-h0gamesystems-p0vizio-r027-u0nccp-w0A-z0useast1a-v003",
                   cluster: "cass-nccpintegration-random-junk-c0northamerica-d0prod-h0gamesystems-p0vizio-r027-u0nccp-w0A-z0useast1a",
                   app: "cass", stack: "nccpintegration", detail: "random-junk", push: "v003", sequence: 3,
                   variables: [.countries: "northamerica", .devPhase: "prod", .hardware: "gamesystems", .partners: "vizio",
                               .revision: "27", .usedBy: "nccp", .redBlackSwap: "A", .zone: "useast1a"]),
        ParsedName(name: "cass-c0northamerica-d0prod", cluster: "cass-c0northamerica-d0prod", app: "cass",
                   variables: [.countries: "northamerica", .devPhase: "prod"]),
        ParsedName(name: "cass-nccpintegration-c0northamerica-d0prod-v102", cluster: "cass-nccpintegration-c0northamerica-d0prod",
                   app: "cass", stack: "nccpintegration", push: "v102", sequence: 102,
                   variables: [.countries: "northamerica", .devPhase: "prod"]),
        // Labeled variables count only as the trailing run; anything after them makes them detail.
        ParsedName(name: "cass-nccp-c0northamerica-d0prod-extra", cluster: "cass-nccp-c0northamerica-d0prod-extra", app: "cass",
                   stack: "nccp", detail: "c0northamerica-d0prod-extra"),
        // The first of a repeated variable wins, as in Frigga.
        ParsedName(name: "app-d0test-d0prod", cluster: "app-d0test-d0prod", app: "app", variables: [.devPhase: "test"]),
        // An unknown key is a labeled variable in form only.
        ParsedName(name: "app-x0foo", cluster: "app-x0foo", app: "app"),
    ]

    @Test(arguments: valid)
    func parsesIntoFriggasParts(_ row: ParsedName) throws {
        let names = try #require(Names(parsing: row.name))
        #expect(names.group == row.name)
        #expect(names.cluster == row.cluster)
        #expect(names.app == row.app)
        #expect(names.stack == row.stack)
        #expect(names.detail == row.detail)
        #expect(names.push == row.push)
        #expect(names.sequence == row.sequence)
        #expect(names.labeledVariables == row.variables)
        #expect(GroupNaming.cluster(ofGroup: row.name) == row.cluster)
    }

    @Test(arguments: ["", "nccp-moviecontrol%27", "-v001", "-app", "app name", "app/stack", "app-st@ck-v001",
                      "ünïcode-v001", "-c0north", "app-sta%ck"])
    func rejectsWhatIsNotAName(_ name: String) {
        #expect(Names(parsing: name) == nil)
        #expect(GroupNaming.cluster(ofGroup: name) == nil)
    }
}
