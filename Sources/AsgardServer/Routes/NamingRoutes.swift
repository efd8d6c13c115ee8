import AsgardAPI
import AsgardCore

extension Console {
    /// `GET /autoScaling/generateName.json`: Frigga's builder with Asgard's validation.
    func addNamingRoutes(to table: RouteTable) {
        let variables = LabeledVariable.allCases.map {
            EndpointDoc.Parameter.query($0.parameterName, "Labeled variable \($0.key)0…: letters and digits only")
        }
        table.get("/autoScaling/generateName.json", doc: EndpointDoc(
            summary: "Build a cluster name from its parts and the environment variables Asgard derives from it",
            tag: "Naming",
            parameters: [.query("appName", "The application (required)"), .query("stack", "The stack"),
                         .query("detail", "The free-form detail; may contain hyphens")] + variables,
            answers: [.ok("GeneratedName"), .badRequest]
        )) { input in
            var labeled: [LabeledVariable: String] = [:]
            for variable in LabeledVariable.allCases {
                if let value = input.fields[variable.parameterName], !value.isEmpty { labeled[variable] = value }
            }
            let builder = GroupNameBuilder(appName: input.fields["appName"] ?? "", stack: input.fields["stack"],
                                           detail: input.fields["detail"], labeledVariables: labeled)
            let name: String
            do throws(NamingError) { name = try builder.build() } catch { throw ConsoleError(error) }
            let env = GroupNaming.environmentVariables(forGroup: name) ?? [:]
            return try Responses.json(GeneratedNameJSON(groupName: name, envVars: env))
        }
    }
}
