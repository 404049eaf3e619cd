#!/usr/bin/env python3
"""An independent verifier of a collab-ledger export, written from
docs/verification.md ("Checking without our tool") and docs/content-hash.md
alone, with the Python standard library only (Ed25519 after RFC 8032).

    python3 verify.py EXPORT PUBKEY [POLICY]

Prints "verified <leaves> <largest checkpoint size>" and exits 0, or prints
"position <N>: <kind>: <detail>" for the first problem and exits 1.
Kinds: content changed, event missing, order changed, signature invalid,
not witnessed, no checkpoint. Its JSON canonicalisation is json.dumps with sorted keys,
which is RFC 8785 for data of strings, integers, booleans, nulls, nested
objects and arrays with keys in the Basic Multilingual Plane (as the tests'
ledgers are); use an RFC 8785 library for floats.
"""
import base64
import datetime
import hashlib
import json
import sys
import uuid

# ---- Ed25519 verification (RFC 8032, section 5.1.7) -------------------------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
I = pow(2, (P - 1) // 4, P)


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * I % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def _add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    A = (y1 - x1) * (y2 - x2) % P
    B = (y1 + x1) * (y2 + x2) % P
    C = t1 * 2 * D * t2 % P
    Dd = z1 * 2 * z2 % P
    E, F, G, H = B - A, Dd - C, Dd + C, B + A
    return (E * F % P, G * H % P, F * G % P, E * H % P)


def _mul(s, p):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, p)
        p = _add(p, p)
        s >>= 1
    return q


def _equal(a, b):
    x1, y1, z1, _ = a
    x2, y2, z2, _ = b
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


def _decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


GY = 4 * pow(5, P - 2, P) % P
G = (_recover_x(GY, 0), GY, 1, _recover_x(GY, 0) * GY % P)


def ed25519_verify(public, msg, sig):
    if len(public) != 32 or len(sig) != 64:
        return False
    A = _decompress(public)
    R = _decompress(sig[:32])
    if A is None or R is None:
        return False
    s = int.from_bytes(sig[32:], "little")
    if s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(sig[:32] + public + msg).digest(), "little") % L
    return _equal(_mul(s, G), _add(R, _mul(h, A)))


# ---- keys and notes (C2SP signed-note) ----------------------------------------


def parse_vkey(vkey):
    name, keyid, b64 = vkey.strip().split("+", 2)
    raw = base64.b64decode(b64)
    return name, bytes.fromhex(keyid), raw[0], raw[1:]


def open_note(note, vkey, origin):
    """Returns (origin, size, root bytes) if note has a valid signature by vkey."""
    name, keyid, alg, pub = parse_vkey(vkey)
    text, sep, sigs = note.partition("\n\n")
    if not sep or alg != 1:
        return None
    text += "\n"
    ok = False
    for line in sigs.splitlines():
        if not line.startswith("— "):
            continue
        sname, _, b64 = line[2:].partition(" ")
        try:
            raw = base64.b64decode(b64, validate=True)
        except Exception:
            continue
        if sname == name and raw[:4] == keyid and ed25519_verify(pub, text.encode(), raw[4:]):
            ok = True
    lines = text.split("\n")
    if not ok or len(lines) < 4 or lines[0] != origin:
        return None
    return lines[0], int(lines[1]), base64.b64decode(lines[2])


def checkpoint_text(origin, size, root):
    return "%s\n%d\n%s\n" % (origin, size, base64.b64encode(root).decode())


def cosignature_ok(line, vkey, origin, size, root):
    name, keyid, alg, pub = parse_vkey(vkey)
    if alg != 4 or not line.startswith("— " + name + " "):
        return False
    try:
        raw = base64.b64decode(line.split(" ", 2)[2].strip(), validate=True)
    except Exception:
        return False
    if raw[:4] != keyid or len(raw) != 4 + 8 + 64:
        return False
    t = int.from_bytes(raw[4:12], "big")
    msg = "cosignature/v1\ntime %d\n" % t + checkpoint_text(origin, size, root)
    return ed25519_verify(pub, msg.encode(), raw[12:])


# ---- the export ------------------------------------------------------------------

ATTRS = {"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data", "position",
         "streamversion", "schemaversion", "actorid", "actorrole", "commandid", "correlationid", "causationid",
         "occurredat", "contenthash"}
META = [("actorid", "actorId"), ("actorrole", "actorRole"), ("causationid", "causationId"),
        ("commandid", "commandId"), ("correlationid", "correlationId")]


def norm_time(s):
    frac = "000000"
    if "." in s:
        head, rest = s.split(".", 1)
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        frac = (digits + "000000")[:6]
        s = head + rest
    t = datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + frac + "Z", int(t.timestamp()) * 1000000 + int(frac)


def content_hash(ev):
    meta = {}
    for a, k in META:
        if ev.get(a):
            meta[k] = ev[a]
    if ev.get("occurredat"):
        meta["occurredAt"] = norm_time(ev["occurredat"])[0]
    env = {"data": ev["data"], "id": str(uuid.UUID(ev["id"])), "metadata": meta,
           "recordedAt": norm_time(ev["time"])[0], "schemaVersion": ev["schemaversion"],
           "stream": ev["subject"], "type": ev["type"], "version": ev["streamversion"]}
    canon = json.dumps(env, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canon.encode()).digest()


def mth(leaves):
    """RFC 6962 Merkle Tree Hash of leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def parse_policy(text):
    witnesses, groups, quorum = {}, {}, None
    for line in text.splitlines():
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        if f[0] == "witness":
            witnesses[f[1]] = f[2]
            groups[f[1]] = (1, [f[1]])
        elif f[0] == "group":
            members = f[3:]
            k = {"any": 1, "all": len(members)}.get(f[2]) or int(f[2])
            groups[f[1]] = (k, members)
        elif f[0] == "quorum":
            quorum = f[1]
    return witnesses, groups, quorum


def met(name, ok, witnesses, groups):
    if name in witnesses and groups[name] == (1, [name]):
        return name in ok
    k, members = groups[name]
    return sum(1 for m in members if met(m, ok, witnesses, groups)) >= k


def verify(export_path, vkey, policy=None):
    origin = vkey.split("+", 1)[0]
    problems = []  # (position, kind, detail)
    leaves, infos = [], []  # infos: (position, recorded µs)
    last_pos, seen_pos, gaps = 0, set(), []
    streams, jumps = {}, []
    checkpoints, cosigs = [], []  # checkpoints: (leaf index, position, size, root, note)
    with open(export_path, encoding="utf-8") as f:
        for raw in f:
            raw = raw.strip()
            if not raw:
                continue
            try:
                ev = json.loads(raw)
                bad = set(ev) - ATTRS
                if bad:
                    raise ValueError("attribute %s is not hashed" % sorted(bad))
                if ev["specversion"] != "1.0" or ev["source"] != "collab-ledger" or ev["datacontenttype"] != "application/json":
                    raise ValueError("specversion, source or datacontenttype")
                h = content_hash(ev)
                pos = ev["position"]
            except Exception as e:  # noqa: BLE001 - any unreadable line
                problems.append((ev.get("position", 0) if isinstance(ev, dict) else 0, "content changed", str(e)))
                continue
            i = len(leaves)
            if pos <= last_pos and i > 0:
                problems.append((pos, "order changed", "position goes back"))
            else:
                if pos != last_pos + 1:
                    gaps.append((last_pos + 1, pos - 1))
                last_pos = pos
            seen_pos.add(pos)
            if h.hex() != ev["contenthash"].lower():
                problems.append((pos, "content changed", "content hash"))
            s = ev["subject"]
            v = streams.get(s, 0)
            if ev["streamversion"] == v + 1:
                streams[s] = v + 1
            elif ev["streamversion"] > v + 1:
                jumps.append([s, v + 1, ev["streamversion"], pos, False])
                streams[s] = ev["streamversion"]
            else:
                found = [j for j in jumps if j[0] == s and j[1] <= ev["streamversion"] < j[2]]
                if found:
                    found[0][4] = True
                else:
                    problems.append((pos, "order changed", "stream version"))
            if s == "ledger-checkpoints":
                d = ev["data"]
                if ev["type"] == "ledger.checkpoint_published":
                    cp = open_note(d.get("note", ""), vkey, origin)
                    if cp is None:
                        problems.append((pos, "signature invalid", "checkpoint note"))
                    elif d.get("size") != cp[1] or d.get("rootHash") != cp[2].hex() or d.get("origin", origin) != cp[0]:
                        problems.append((pos, "content changed", "checkpoint data"))
                    else:
                        if cp[1] > i and cp[1] > pos - 1:
                            problems.append((pos, "order changed", "checkpoint before events it covers"))
                        checkpoints.append((i, pos, cp[1], cp[2], d["note"]))
                elif ev["type"] == "ledger.checkpoint_cosigned":
                    if not cosignature_ok(d["cosignature"], d["witness"], d["origin"], d["size"], bytes.fromhex(d["rootHash"])):
                        problems.append((pos, "signature invalid", "cosignature"))
                    elif d["origin"] == origin:
                        cosigs.append((d["size"], d["rootHash"], d["cosignature"]))
                else:
                    problems.append((pos, "signature invalid", "not a checkpoint"))
            leaves.append(hashlib.sha256(b"\x00" + h).digest())
            infos.append((pos, norm_time(ev["time"])[1]))
    for lo, hi in gaps:
        if lo in seen_pos:
            problems.append((lo, "order changed", "position out of place"))
        else:
            problems.append((lo, "event missing", "gap"))
    for s, want, got, pos, found in jumps:
        if found:
            problems.append((pos, "order changed", "stream version before an earlier one"))
        elif not any(lo < pos and hi >= want for lo, hi in gaps):
            problems.append((pos, "event missing", "stream version"))
    # Checkpoints against the tree, smallest first.
    good, verified = 0, []
    first_bad = min([p[0] - 1 for p in problems if p[0] > 0] + [len(leaves) + 1])  # leaf index, positions dense
    for idx, pos, size, root, note in sorted(checkpoints, key=lambda c: c[2]):
        if size > len(leaves):
            problems.append((last_pos + 1, "event missing", "checkpoint covers more leaves than the log holds"))
            continue
        if mth(leaves[:size]) == root:
            verified.append((size, root, note))
            good = max(good, size)
            continue
        if first_bad < size:
            continue  # explained by an earlier problem
        problems.append(classify(leaves, infos, good, size, root))
        first_bad = min(first_bad, good)
    if not verified and not problems:
        problems.append((0, "no checkpoint", "no signed checkpoint: nothing vouches for these events"))
    if policy and verified and not problems:
        witnesses, groups, quorum = parse_policy(policy)
        if quorum != "none" and not any(quorum_met(v, cosigs, origin, witnesses, groups, quorum) for v in verified):
            problems.append((0, "not witnessed", "no checkpoint meets the policy"))
    if problems:
        problems.sort(key=lambda p: (p[0] if p[0] > 0 else 1 << 62))
        return problems[0], len(leaves), 0
    return None, len(leaves), max(v[0] for v in verified)


def quorum_met(cp, cosigs, origin, witnesses, groups, quorum):
    size, root, note = cp
    lines = [c[2] for c in cosigs if c[0] == size and c[1] == root.hex()]
    lines += [l for l in note.partition("\n\n")[2].splitlines() if l.startswith("— ")]
    ok = {w for w, vk in witnesses.items() if any(cosignature_ok(l, vk, origin, size, root) for l in lines)}
    return met(quorum, ok, witnesses, groups)


def classify(leaves, infos, good, size, root):
    for j in range(good + 1, len(leaves)):
        if infos[j][1] >= infos[j - 1][1]:
            continue
        t = infos[j][1]
        k = next(x for x in range(good, j) if infos[x][1] > t)
        if k < size:
            orders = []
            base = list(range(size))
            sw = base[:]
            sw[k], sw[j] = sw[j], sw[k]
            jk = base[:j] + base[j + 1:]
            jk.insert(k, j)
            kj = base[:k] + base[k + 1:]
            kj.insert(j, k)
            bt = base[:good] + sorted(base[good:], key=lambda x: infos[x][1])
            orders = [sw, jk, kj, bt] if j < size else []
            if any(mth([leaves[x] for x in o]) == root for o in orders):
                return (infos[k][0], "order changed", "moved")
            return (infos[j][0], "content changed", "recorded-at time changed with its hash")
        break
    return (infos[good][0] if good < len(infos) else 0, "content changed", "rewritten with its hash")


def main():
    export_path, key_path = sys.argv[1], sys.argv[2]
    with open(key_path) as f:
        vkey = f.read().strip()
    policy = None
    if len(sys.argv) > 3:
        with open(sys.argv[3]) as f:
            policy = f.read()
    problem, n, size = verify(export_path, vkey, policy)
    if problem:
        print("position %d: %s: %s" % problem)
        sys.exit(1)
    print("verified %d %d" % (n, size))


if __name__ == "__main__":
    main()
