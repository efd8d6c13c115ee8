import ArgumentParser
import Foundation

/// The `asgard` binary: the server (`asgard serve`) and a CLI that talks only to its REST API.
@main
struct AsgardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asgard",
        abstract: "Asgard: a cloud management and deployment console.",
        discussion: """
        Start the console with `asgard serve`, then manage it from the browser at
        http://127.0.0.1:8080 or with the commands below.

        Example:
          asgard serve &
          asgard login --user admin      # the password is in .asgard/admin-password
          asgard app create shop --owner "Shop team" --email shop@example.com
          asgard task list
        """,
        subcommands: [ServeCommand.self, LoginCommand.self, LogoutCommand.self, AppCommand.self, ImageCommand.self, LoadBalancerCommand.self, SecurityGroupCommand.self, ServerGroupCommand.self,
                      InstanceCommand.self, ClusterCommand.self, DeployCommand.self, DeploymentCommand.self, TaskCommand.self,
                      PolicyCommand.self, AlarmCommand.self, ScheduleCommand.self,
                      UserCommand.self, TokenCommand.self, AuditCommand.self, RefreshCommand.self, LoadBalancerProxyCommand.self]
    )

    /// Global options may come before the subcommand; an unknown command gets a suggestion.
    static func main() async {
        let arguments = CommandLineArguments.globalOptionsAfterSubcommand(Array(CommandLine.arguments.dropFirst()))
        if let message = CommandLineArguments.unknownCommand(arguments, in: AsgardCommand.self) {
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(64)
        }
        await main(arguments)
    }
}
