//! Turning Nagle's algorithm off on the PostgreSQL connections.
//!
//! sqlx 0.9.0 stopped setting `TCP_NODELAY` on its sockets (launchbadge/sqlx#4335; fixed
//! upstream, not released yet). A statement of more than the socket takes in one write — the
//! intake's group of deliveries, the worker's 200 orders — then sends its last piece only when
//! the server acknowledges the first, which PostgreSQL's kernel delays by 40 ms: a group of
//! four deliveries took 44 ms instead of 2. sqlx offers no hook on its socket, so each new
//! pool connection looks up the process's sockets to the database's port and sets the option
//! on them. Remove this once sqlx sets it again.

use std::mem::ManuallyDrop;
use std::net::TcpStream;

/// Sets `TCP_NODELAY` on every TCP socket of this process connected to `port`; how many were
/// changed (sockets that already had it count too).
pub fn set_on_sockets_to(port: u16) -> usize {
    sockets_to(port).filter(|stream| stream.set_nodelay(true).is_ok()).count()
}

/// Whether each TCP socket of this process connected to `port` has `TCP_NODELAY` set.
pub fn nodelay_of_sockets_to(port: u16) -> Vec<bool> {
    sockets_to(port).map(|stream| stream.nodelay().unwrap_or(false)).collect()
}

/// The process's open TCP sockets whose peer listens on `port`, borrowed.
#[cfg(target_os = "linux")]
fn sockets_to(port: u16) -> impl Iterator<Item = ManuallyDrop<TcpStream>> {
    use std::os::fd::FromRawFd;
    let descriptors = std::fs::read_dir("/proc/self/fd").into_iter().flatten();
    descriptors
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        // SAFETY: the stream only borrows the descriptor: ManuallyDrop never closes it, and
        // what is called on it (getpeername, getsockopt, setsockopt) fails and changes nothing
        // on a descriptor that is not a connected TCP socket (a file, a listener, one closed
        // meanwhile).
        .map(|fd| ManuallyDrop::new(unsafe { TcpStream::from_raw_fd(fd) }))
        .filter(move |stream| stream.peer_addr().is_ok_and(|peer| peer.port() == port))
}

#[cfg(not(target_os = "linux"))]
fn sockets_to(_port: u16) -> impl Iterator<Item = ManuallyDrop<TcpStream>> {
    std::iter::empty()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::net::TcpListener;

    use super::*;

    #[test]
    fn sockets_to_the_port_get_nodelay_and_others_are_left_alone() {
        let database = TcpListener::bind("127.0.0.1:0").expect("a port");
        let elsewhere = TcpListener::bind("127.0.0.1:0").expect("a port");
        let to_database = TcpStream::connect(database.local_addr().expect("address")).expect("connects");
        let to_elsewhere = TcpStream::connect(elsewhere.local_addr().expect("address")).expect("connects");
        assert!(!to_database.nodelay().expect("readable"), "Nagle is on by default");

        let changed = set_on_sockets_to(database.local_addr().expect("address").port());

        assert!(changed >= 1, "{changed}");
        assert!(to_database.nodelay().expect("readable"));
        assert!(!to_elsewhere.nodelay().expect("readable"));
        // The listener and the streams are still open: nothing was closed on the way.
        assert!(database.accept().is_ok());
    }
}
