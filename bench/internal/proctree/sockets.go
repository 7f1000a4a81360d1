package proctree

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Listener is a socket a process listens on.
type Listener struct {
	PID  int
	Addr string // "127.0.0.1:8000", "[::]:8000" or "unix:/run/app.sock"
	Port int    // TCP port; 0 for a Unix socket
}

// Listening returns the sockets that the processes pids listen on: TCP
// (IPv4 and IPv6) and Unix stream sockets, found by matching the socket
// inodes in /proc/PID/fd against this network namespace's /proc/net tables.
// A process that exits meanwhile is skipped.
func Listening(pids []int) ([]Listener, error) {
	return listening(procRoot, pids)
}

func listening(root string, pids []int) ([]Listener, error) {
	if len(pids) == 0 {
		return nil, nil
	}
	byInode := map[uint64]listenAddr{}
	for _, t := range []struct {
		file  string
		parse func([]byte, map[uint64]listenAddr) error
	}{
		{"tcp", parseNetTCP},
		{"tcp6", parseNetTCP},
		{"unix", parseNetUnix},
	} {
		b, err := os.ReadFile(filepath.Join(root, "net", t.file))
		if os.IsNotExist(err) {
			continue // no IPv6, say
		}
		if err != nil {
			return nil, fmt.Errorf("list listening sockets: %w", err)
		}
		if err := t.parse(b, byInode); err != nil {
			return nil, fmt.Errorf("list listening sockets: /proc/net/%s: %w", t.file, err)
		}
	}
	var out []Listener
	for _, pid := range pids {
		fdDir := filepath.Join(root, strconv.Itoa(pid), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue // exited, or not ours to read
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil {
				continue
			}
			num, ok := strings.CutPrefix(link, "socket:[")
			if !ok {
				continue
			}
			inode, err := strconv.ParseUint(strings.TrimSuffix(num, "]"), 10, 64)
			if err != nil {
				continue
			}
			if a, ok := byInode[inode]; ok {
				out = append(out, Listener{PID: pid, Addr: a.addr, Port: a.port})
			}
		}
	}
	// A socket shared by a master and its workers is listed once.
	slices.SortFunc(out, func(a, b Listener) int { return strings.Compare(a.Addr, b.Addr) })
	return slices.CompactFunc(out, func(a, b Listener) bool { return a.Addr == b.Addr }), nil
}

type listenAddr struct {
	addr string
	port int
}

// tcpListen is the TCP_LISTEN state in /proc/net/tcp.
const tcpListen = "0A"

// parseNetTCP adds the listening sockets of /proc/net/tcp or tcp6 to m.
// A line is "sl local_address rem_address st … uid timeout inode …", the
// local address being the IP in the kernel's byte order (32-bit words in
// host order) and the port, both in hex.
func parseNetTCP(b []byte, m map[uint64]listenAddr) error {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<16)
	for first := true; sc.Scan(); first = false {
		f := strings.Fields(sc.Text())
		if first || len(f) < 10 || f[3] != tcpListen {
			continue
		}
		ip, port, err := parseHexAddr(f[1])
		if err != nil {
			return err
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return fmt.Errorf("bad inode %q", f[9])
		}
		m[inode] = listenAddr{netip.AddrPortFrom(ip, port).String(), int(port)}
	}
	return sc.Err()
}

// parseHexAddr parses "0100007F:1F40" (127.0.0.1:8000 on a little-endian
// machine) or its 32-hex-digit IPv6 form.
func parseHexAddr(s string) (netip.Addr, uint16, error) {
	h, p, ok := strings.Cut(s, ":")
	port, err := strconv.ParseUint(p, 16, 16)
	if !ok || err != nil {
		return netip.Addr{}, 0, fmt.Errorf("bad address %q", s)
	}
	raw, err := hex.DecodeString(h)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.Addr{}, 0, fmt.Errorf("bad address %q", s)
	}
	// Each 32-bit word is in host byte order; netip wants network order.
	for i := 0; i < len(raw); i += 4 {
		binary.BigEndian.PutUint32(raw[i:], binary.NativeEndian.Uint32(raw[i:]))
	}
	ip, _ := netip.AddrFromSlice(raw)
	return ip.Unmap(), uint16(port), nil
}

// unixAcceptCon is __SO_ACCEPTCON in /proc/net/unix's Flags: a listening socket.
const unixAcceptCon = 0x10000

// parseNetUnix adds the listening Unix sockets with a path to m. A line is
// "Num RefCount Protocol Flags Type St Inode [Path]".
func parseNetUnix(b []byte, m map[uint64]listenAddr) error {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<16)
	for first := true; sc.Scan(); first = false {
		f := strings.Fields(sc.Text())
		if first || len(f) < 8 {
			continue // the header, or a socket without a path
		}
		flags, err := strconv.ParseUint(f[3], 16, 32)
		if err != nil {
			return fmt.Errorf("bad flags %q", f[3])
		}
		if flags&unixAcceptCon == 0 {
			continue
		}
		inode, err := strconv.ParseUint(f[6], 10, 64)
		if err != nil {
			return fmt.Errorf("bad inode %q", f[6])
		}
		m[inode] = listenAddr{addr: "unix:" + f[7]}
	}
	return sc.Err()
}
