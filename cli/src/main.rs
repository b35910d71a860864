use std::io::IsTerminal;

fn main() {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr();
    let stderr_is_terminal = stderr.is_terminal();
    let mut io = rune_cli::Io { stdout: &mut stdout, stderr: &mut stderr, stderr_is_terminal };
    let code = rune_cli::run(std::env::args_os(), &mut io);
    std::process::exit(code);
}
