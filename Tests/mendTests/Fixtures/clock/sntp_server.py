"""A small SNTP server for the clock tests, on loopback only: answers each request with the
time of this machine plus a skew, or misbehaves as asked. Lives at most `lifetime` seconds.
usage: sntp_server.py PORT MODE [SKEW_SECONDS] ; MODE: good | silent | kod | wrong-origin | unsync"""
import socket, struct, sys, time

E = 2208988800
port, mode = int(sys.argv[1]), sys.argv[2]
skew = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
lifetime = 60


def ts(t):
    s = int(t)
    return struct.pack("!II", s + E, int((t - s) * 2**32))


sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sk.bind(("127.0.0.1", port))
sk.settimeout(0.5)
print("ready", flush=True)
end = time.time() + lifetime
while time.time() < end:
    try:
        req, addr = sk.recvfrom(512)
    except socket.timeout:
        continue
    if len(req) < 48 or mode == "silent":
        continue
    t2 = time.time() + skew
    leap, stratum, refid = 0, 2, b"TEST"
    if mode == "kod":
        stratum, refid = 0, b"RATE"
    if mode == "unsync":
        leap = 3
    first = (leap << 6) | (((req[0] >> 3) & 7) << 3) | 4
    origin = req[40:48]
    if mode == "wrong-origin":
        origin = ts(time.time() - 1000)
    hdr = struct.pack("!BBBb", first, stratum, req[2], -20) + bytes(4) + bytes([0, 0, 0, 16]) + refid
    sk.sendto(hdr + ts(t2 - 1) + origin + ts(t2) + ts(time.time() + skew), addr)
