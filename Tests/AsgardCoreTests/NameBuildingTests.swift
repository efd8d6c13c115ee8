import AsgardCore
import Testing

@Suite("Frigga name building and validation")
struct NameBuildingTests {
    struct BuildRow: Sendable, CustomTestStringConvertible {
        var app: String
        var stack: String? = nil
        var detail: String? = nil
        var variables: [LabeledVariable: String] = [:]
        var expected: String
        var testDescription: String { expected }
    }

    static let builds: [BuildRow] = [
        BuildRow(app: "app", expected: "app"),
        BuildRow(app: "app", stack: "prod", expected: "app-prod"),
        BuildRow(app: "app", stack: "prod", detail: "east", expected: "app-prod-east"),
        BuildRow(app: "app", stack: "", detail: "my-stuff", expected: "app--my-stuff"),
        BuildRow(app: "app", detail: "my-stuff", expected: "app--my-stuff"),
        BuildRow(app: "app", stack: "", detail: "", expected: "app"),
        BuildRow(app: "cass", detail: "my-stuff", variables: [.devPhase: "prod", .countries: "northamerica"],
                 expected: "cass--my-stuff-c0northamerica-d0prod"),
        BuildRow(app: "cass", stack: "nccp", detail: "junk",
                 variables: [.zone: "useast1a", .redBlackSwap: "A", .usedBy: "nccp", .revision: "27", .partners: "vizio",
                             .hardware: "gamesystems", .devPhase: "prod", .countries: "northamerica"],
                 expected: "cass-nccp-junk-c0northamerica-d0prod-h0gamesystems-p0vizio-r027-u0nccp-w0A-z0useast1a"),
        BuildRow(app: "app", variables: [.devPhase: ""], expected: "app"),
        BuildRow(app: "my.app_1", stack: "a.b_c", expected: "my.app_1-a.b_c"),
    ]

    @Test(arguments: builds)
    func buildsAsFriggasBuilder(_ row: BuildRow) throws {
        let name = try GroupNameBuilder(appName: row.app, stack: row.stack, detail: row.detail, labeledVariables: row.variables).build()
        #expect(name == row.expected)
        // What is built parses back into the same parts.
        let parsed = try #require(Names(parsing: name))
        #expect(parsed.app == row.app)
        #expect(parsed.labeledVariables == row.variables.filter { !$0.value.isEmpty })
    }

    struct RejectRow: Sendable, CustomTestStringConvertible {
        var app: String
        var stack: String? = nil
        var detail: String? = nil
        var variables: [LabeledVariable: String] = [:]
        var field: String
        var testDescription: String { "\(field): \(app)/\(stack ?? "-")/\(detail ?? "-")" }
    }

    static let rejects: [RejectRow] = [
        RejectRow(app: "", field: "appName"),
        RejectRow(app: "my app", field: "appName"),
        RejectRow(app: "my-app", field: "appName"),
        RejectRow(app: "app%", field: "appName"),
        RejectRow(app: "appv001", field: "appName"),
        RejectRow(app: "c0app", field: "appName"),
        RejectRow(app: "app", stack: "pro-d", field: "stack"),
        RejectRow(app: "app", stack: "v123", field: "stack"),
        RejectRow(app: "app", stack: "d0prod", field: "stack"),
        RejectRow(app: "app", detail: "east%1", field: "detail"),
        RejectRow(app: "app", detail: "east-v001", field: "detail"),
        RejectRow(app: "app", detail: "east-c0us", field: "detail"),
        RejectRow(app: "app", detail: "east-v1234", field: "detail"),
        RejectRow(app: "app", variables: [.devPhase: "pr-od"], field: "devPhase"),
        RejectRow(app: "app", variables: [.countries: "north.america"], field: "countries"),
        RejectRow(app: "app", variables: [.zone: "us_east"], field: "zoneVar"),
        RejectRow(app: "app", variables: [.usedBy: "a b"], field: "usedBy"),
        RejectRow(app: "app", detail: String(repeating: "d", count: 96), field: "name"),
    ]

    @Test(arguments: rejects)
    func refusesBadPartsNamingTheField(_ row: RejectRow) {
        let builder = GroupNameBuilder(appName: row.app, stack: row.stack, detail: row.detail, labeledVariables: row.variables)
        #expect(throws: NamingError.self) { try builder.build() }
        do {
            _ = try builder.build()
        } catch {
            #expect(error.field == row.field)
            #expect(!error.message.isEmpty)
        }
    }

    @Test func acceptsNamesUpToNinetySixCharacters() throws {
        let detail = String(repeating: "d", count: 96 - "app--".count)
        let name = try GroupNameBuilder(appName: "app", detail: detail).build()
        #expect(name.count == 96)
    }

    @Test(arguments: [
        ("abcv123", true), ("abc-v123", true), ("v123", true), ("v1234", true), ("abc", false),
        ("c0abc", true), ("my-d0prod", true), ("a0", false), ("ab0c", false), ("1a0bc", false), ("x-c0", false),
        ("hello-c0x.y", true), ("v12", false), ("version", false), ("a-0bc", false), ("Z0z", true),
    ])
    func recognisesReservedFormats(_ part: String, _ reserved: Bool) {
        #expect(NameValidation.usesReservedFormat(part) == reserved)
    }

    @Test(arguments: [
        ("app", nil as String?, "app-v000"), ("app", "app", "app-v000"), ("app", "app-v041", "app-v042"),
        ("app", "app-v000", "app-v001"), ("app", "app-v998", "app-v999"), ("app", "app-v999", "app-v000"),
        ("app-prod", "app-prod-v009", "app-prod-v010"), ("app-prod", "app-prod-v099", "app-prod-v100"),
        ("app", "app-v1000", "app-v000"), ("app--x", "app--x-v005", "app--x-v006"),
    ])
    func nextGroupNameCountsUpAndWraps(_ cluster: String, _ previous: String?, _ expected: String) {
        #expect(GroupNaming.nextGroupName(cluster: cluster, previousGroup: previous) == expected)
    }

    @Test func derivesAsgardsEnvironmentVariables() throws {
        let env = try #require(GroupNaming.environmentVariables(forGroup: "cass-prod-my-stuff-c0northamerica-d0prod-z0useast1a-v003"))
        #expect(env == [
            "CLOUD_APP": "cass", "CLOUD_STACK": "prod", "CLOUD_CLUSTER": "cass-prod-my-stuff-c0northamerica-d0prod-z0useast1a",
            "CLOUD_AUTO_SCALE_GROUP": "cass-prod-my-stuff-c0northamerica-d0prod-z0useast1a-v003",
            "CLOUD_COUNTRIES": "northamerica", "CLOUD_DEV_PHASE": "prod", "CLOUD_ZONE": "useast1a",
        ])
        #expect(GroupNaming.environmentVariables(forGroup: "app", prefix: "X_") == [
            "X_APP": "app", "X_STACK": "", "X_CLUSTER": "app", "X_AUTO_SCALE_GROUP": "app",
        ])
        #expect(GroupNaming.environmentVariables(forGroup: "bad name") == nil)
    }
}
