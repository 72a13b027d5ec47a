"""The `dorsi` command line: demo, dashboard, scan, record, analyze, decode."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dashboard.paths import data_dir as resolve_data_dir
from dashboard.paths import resolve_session

if TYPE_CHECKING:
    from sensors.samples import Role

EXERCISE_HELP = "exercise name, e.g. band_mobilisation or eccentric_drop"


class CliError(Exception):
    """An error a person can act on; printed without a traceback."""


def _add_data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="where sessions are kept (default: $DORSI_DATA_DIR or the user data dir)")


def _add_server_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to serve on (default 127.0.0.1: this computer only); any other needs a token",
    )
    p.add_argument(
        "--token",
        default=None,
        help="secret (16+ characters) every browser must present once via ?token=...; default $DORSI_TOKEN "
        "(prefer the variable: a command line is visible to other users of this computer)",
    )
    p.add_argument("--generate-token", action="store_true", help="make a random token and print the URL with it once")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="dorsi", description="Ankle dorsiflexion monitor.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="emulated sensors on a virtual radio, recorded, with the live dashboard")
    _add_data_dir(p)
    p.add_argument("--port", type=int, default=8050)
    _add_server_options(p)
    p.add_argument("--no-browser-hint", action="store_true", help=argparse.SUPPRESS)
    p.add_argument(
        "--history-weeks",
        type=int,
        default=6,
        help="weeks of simulated past sessions to seed when the demo data directory has none (default 6; 0: none)",
    )

    p = sub.add_parser("dashboard", help="serve the dashboard on 127.0.0.1")
    _add_data_dir(p)
    p.add_argument("--port", type=int, default=8050)
    _add_server_options(p)
    p.add_argument("--emulated", action="store_true", help="connect to emulated sensors instead of real ones")
    p.add_argument("--shin", default=None, help="name or address of the shin sensor")
    p.add_argument("--foot", default=None, help="name or address of the foot sensor")
    p.add_argument("--side", choices=("left", "right"), default="right")

    p = sub.add_parser("replay", help="serve the dashboard opened on a recorded session's replay")
    _add_data_dir(p)
    p.add_argument("session", help="session id (see the Sessions page or `dorsi reindex`)")
    p.add_argument("--port", type=int, default=8050)
    _add_server_options(p)

    p = sub.add_parser(
        "scan", help="list the sensors in range (model, signal, battery) and IMU-like devices dorsi cannot use"
    )
    _add_data_dir(p)
    p.add_argument("--timeout-s", type=float, default=5.0)
    p.add_argument("--no-battery", action="store_true", help="do not connect to the sensors to read their battery")
    p.add_argument("--json", action="store_true", help="print a JSON list on stdout")
    p.add_argument("--emulated", action="store_true", help="scan the virtual radio with two emulated sensors")
    _add_emulated_models(p)
    p.add_argument(
        "--emulated-bystander",
        action="append",
        default=[],
        metavar="KIND",
        help="with --emulated: also put this device on the radio (witmotion_ble4, dot_lookalike, generic_imu, "
        "heart_rate, or all); repeatable",
    )

    p = sub.add_parser("record", help="record a session from the two sensors")
    _add_data_dir(p)
    p.add_argument("--emulated", action="store_true", help="stream from emulated sensors over the virtual radio")
    p.add_argument("--shin", default=None, help="name or address of the shin sensor")
    p.add_argument("--foot", default=None, help="name or address of the foot sensor")
    p.add_argument("--side", choices=("left", "right"), default="right", help="which leg")
    p.add_argument("--exercise", default="band_mobilisation", help=EXERCISE_HELP + " (default band_mobilisation)")
    p.add_argument(
        "--rate-hz",
        type=int,
        default=100,
        help="output rate to ask for, Hz (default 100); each sensor streams at its model's nearest rate "
        "(dorsi and WitMotion 50/100/200, Movella DOT up to 60)",
    )
    p.add_argument("--duration-s", type=float, default=None, help="stop after this long (default: until Ctrl-C)")
    p.add_argument(
        "--heartbeat",
        action="store_true",
        help="print 'heartbeat t_s=T' with the session time of the newest sample every 0.25 s (for monitoring)",
    )
    _add_emulated_models(p)

    p = sub.add_parser(
        "calibrate-sensors",
        help="once per sensor: lay both sensors on a table in a dozen positions to calibrate their accelerometers",
    )
    _add_data_dir(p)
    p.add_argument("--emulated", action="store_true", help="calibrate the emulated sensors (virtual radio)")
    p.add_argument("--shin", default=None, help="name or address of the shin sensor")
    p.add_argument("--foot", default=None, help="name or address of the foot sensor")
    p.add_argument("--rate-hz", type=int, default=100, help="rate to ask for, Hz (default 100)")
    p.add_argument(
        "--duration-s", type=float, default=300.0, help="give up after this long (default 300; ends sooner when done)"
    )
    _add_emulated_models(p)

    p = sub.add_parser("analyze", help="analyse a recorded session or an interchange CSV")
    _add_data_dir(p)
    p.add_argument("path", help="session folder, session id, or interchange CSV file")
    p.add_argument("--exercise", required=True, help=EXERCISE_HELP)
    p.add_argument("--side", choices=("left", "right"), default=None, help="leg (default: the session's, or right)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--angles-csv", default=None, help="write t_s,dorsiflexion_deg,inversion_deg here")
    for part, how in (("shin", "outer ankle bone to the middle of the knee cap"), ("foot", "heel to longest toe")):
        p.add_argument(
            f"--{part}-length-m",
            type=float,
            default=None,
            help=f"knee_to_wall: {part} length in m ({how}), with the other length, for a geometric toe-to-wall "
            "distance instead of the 3.6 deg per cm rule",
        )

    p = sub.add_parser("decode", help="decode sensor packets given as hex, print SI samples as JSON")
    _add_data_dir(p)
    p.add_argument("--profile", default="dorsi", choices=SENSOR_PROFILES, help="sensor model (default dorsi)")
    p.add_argument("hex", nargs="+", help="one notification per argument, hex digits (spaces allowed)")

    p = sub.add_parser(
        "validate", help="measure dorsi's accuracy: a fresh random simulator suite and the real-data comparisons"
    )
    _add_data_dir(p)
    p.add_argument("--seed", type=int, default=None, help="base seed of the random cases (default: a fresh one)")
    p.add_argument("--cases", type=int, default=66, help="random cases, the exercises in turn (default 66)")
    p.add_argument("--long", type=int, default=2, help="extra 20-30 minute random cases (default 2)")
    p.add_argument("--datasets", default=None, help="folder of the real datasets (default ../shared/datasets)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument(
        "--uncalibrated-accelerometers",
        action="store_true",
        help="leave out the sensors' accelerometer calibration (dorsi calibrate-sensors): shows what it is worth",
    )
    _add_storage_commands(sub)
    return parser


SENSOR_PROFILES = ("dorsi", "witmotion", "movella_dot")


def _add_emulated_models(p: argparse.ArgumentParser) -> None:
    for role in ("shin", "foot"):
        p.add_argument(
            f"--emulated-{role}",
            choices=SENSOR_PROFILES,
            default=None,
            metavar="MODEL",
            help=f"with --emulated: the model of the emulated {role} sensor ({', '.join(SENSOR_PROFILES)}; "
            "default dorsi)",
        )


def _emulated_models(args: argparse.Namespace) -> dict[Role, str]:
    """The emulated model per role chosen on the command line (roles not given are left out)."""
    chosen: tuple[tuple[Role, str | None], ...] = (("shin", args.emulated_shin), ("foot", args.emulated_foot))
    models = {role: m for role, m in chosen if m}
    if models and not args.emulated:
        raise CliError("--emulated-shin and --emulated-foot choose emulated sensors: add --emulated")
    return models


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `dorsi` command."""
    args = build_parser().parse_args(argv)
    handler = {
        "demo": cmd_demo,
        "dashboard": cmd_dashboard,
        "replay": cmd_replay,
        "scan": cmd_scan,
        "record": cmd_record,
        "calibrate-sensors": cmd_calibrate_sensors,
        "analyze": cmd_analyze,
        "decode": cmd_decode,
        "validate": cmd_validate,
        "reindex": cmd_reindex,
        "import": cmd_import,
        "export": cmd_export,
        "report": cmd_report,
    }[args.command]
    try:
        return handler(args)
    except CliError as e:
        print(f"dorsi {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the accuracy suite and print its figures against the targets (exit 1 if one is missed)."""
    from dashboard.validation.report import run_validate

    if args.cases < 1 or args.long < 0:
        raise CliError("--cases must be at least 1 and --long at least 0")
    datasets = Path(args.datasets) if args.datasets else None
    if datasets is not None and not datasets.is_dir():
        raise CliError(f"--datasets {datasets}: no such folder")
    return run_validate(args.seed, args.cases, args.long, datasets, args.json, not args.uncalibrated_accelerometers)


# --- analyze --------------------------------------------------------------------------------------------------


def cmd_analyze(args: argparse.Namespace) -> int:
    """Run the analysis of one exercise on a recording."""
    from dashboard.analysis_json import analysis_to_json, write_angles_csv
    from processing.analysis import analyze, analyze_sets
    from processing.pipeline import EXERCISES, CalibrationError
    from sensors.interchange import InputFileError, read_interchange
    from sensors.sessions import load_session, set_windows

    if args.exercise not in EXERCISES:
        raise CliError(f"unknown exercise {args.exercise!r}; choose one of: {', '.join(EXERCISES)}")
    data = resolve_data_dir(args.data_dir)
    session = resolve_session(data, args.path)
    side = args.side
    sets_s: list[list[tuple[float, float]]] = []
    try:
        if session is not None:
            meta, blocks = load_session(session)
            side = side or meta.get("leg", "right")
            recorded_sets = set_windows(meta)
            chosen = [w for w in recorded_sets if w.exercise == args.exercise]
            sets_s = [w.active_spans_s() or [(w.start_s, w.start_s)] for w in chosen]
            if recorded_sets and not sets_s:
                done = ", ".join(sorted({w.exercise for w in recorded_sets}))
                raise CliError(f"{session}: the session has no {args.exercise} set (its sets: {done})")
        else:
            path = Path(args.path)
            if path.is_dir():
                raise CliError(f"{path}: a folder but not a dorsi session (no session.json)")
            if not path.exists():
                raise CliError(f"{path}: no such file, and no session with that id in {data / 'sessions'}")
            blocks = read_interchange(path)
            side = side or "right"
    except InputFileError as e:
        raise CliError(str(e)) from e
    lengths = {"shin_length_m": args.shin_length_m, "foot_length_m": args.foot_length_m}
    if any(v is not None for v in lengths.values()):
        if args.exercise != "knee_to_wall":
            raise CliError("--shin-length-m and --foot-length-m are for --exercise knee_to_wall")
        if any(v is None or not v > 0 for v in lengths.values()):
            raise CliError("give both --shin-length-m and --foot-length-m, in metres, above 0 (e.g. 0.42 and 0.26)")
    try:
        if sets_s:
            analysis = analyze_sets(blocks, args.exercise, side, sets_s, **lengths)
        else:
            analysis = analyze(blocks, args.exercise, side, **lengths)
    except (CalibrationError, ValueError) as e:
        raise CliError(f"{args.path}: cannot analyse: {e}") from e
    report = analysis_to_json(analysis, args.exercise, side)
    if args.angles_csv:
        try:
            write_angles_csv(Path(args.angles_csv), analysis)
        except OSError as e:
            raise CliError(f"cannot write the angles CSV {args.angles_csv}: {e.strerror}") from e
    if args.json:
        print(json.dumps(report))
    else:
        print(format_report(report))
    return 0


def format_report(report: dict[str, Any]) -> str:
    """Human-readable summary of an analysis."""
    lines = [f"{report['exercise']} ({report['side']} leg)"]
    cal = report["calibration"]
    lines.append(f"calibration: neutral stance {cal['start_s']:.1f}-{cal['end_s']:.1f} s")
    lines.append(f"reps: {report['rep_count']}")
    for i, r in enumerate(report["reps"], 1):
        extra = "".join(
            f", {label} {r[k]:.1f} s" for k, label in (("hold_s", "hold"), ("lower_s", "lower")) if r.get(k) is not None
        )
        flags = f"  [{', '.join(r['flags'])}]" if r["flags"] else ""
        lines.append(
            f"  {i:2d}. {r['start_s']:7.1f}-{r['end_s']:7.1f} s  peak {r['peak_dorsiflexion_deg']:5.1f} deg"
            f"{extra}{flags}"
        )
    if report["max_dorsiflexion_deg"] is not None:
        lines.append(f"max dorsiflexion: {report['max_dorsiflexion_deg']:.1f} deg")
    return "\n".join(lines)


# --- decode ---------------------------------------------------------------------------------------------------


def cmd_decode(args: argparse.Namespace) -> int:
    """Decode hex notifications with a device profile and print JSON."""
    decode = {"dorsi": _decode_dorsi, "witmotion": _decode_witmotion, "movella_dot": _decode_movella_dot}[args.profile]
    out = []
    for i, text in enumerate(args.hex, 1):
        cleaned = "".join(text.split()).replace(":", "")
        try:
            data = bytes.fromhex(cleaned)
        except ValueError as e:
            raise CliError(f"argument {i} is not hex: {text!r}") from e
        out.append({"notification": i, "bytes": len(data), **decode(data)})
    print(json.dumps(out, indent=2))
    return 0 if all(not o["malformed"] for o in out) else 1


def _si(values: Any) -> list[float]:
    return [round(float(x), 6) for x in values]


def _decode_dorsi(data: bytes) -> dict[str, Any]:
    from sensors.profiles import dorsi

    result = dorsi.decode_notification(data)
    packets = []
    for p in result.packets:
        b = p.to_block("shin")
        packets.append(
            {
                "seq": int(p.seq),
                "t_first_us": int(p.t_first_us),
                "interval_us": int(p.interval_us),
                "samples": [
                    {
                        "seq": int(b.seq[k]),
                        "t_s": float(b.t_s[k]),
                        "acc_m_s2": _si(b.acc[k]),
                        "gyr_rad_s": _si(b.gyr[k]),
                    }
                    for k in range(len(b))
                ],
            }
        )
    return {"packets": packets, "malformed": result.malformed}


def _decode_witmotion(data: bytes) -> dict[str, Any]:
    from sensors.profiles import witmotion

    result = witmotion.decode_notification(data)

    def deg(x: float | None) -> float | None:
        return None if x is None else round(math.degrees(x), 4)

    replies = []
    for reply in result.register_replies:
        register, values = witmotion.parse_register_reply(reply)
        replies.append({"hex": reply.hex(), "register": register, "values": list(values)})
    return {
        "samples": [
            {
                "acc_m_s2": _si(s.acc_m_s2),
                "gyr_rad_s": _si(s.gyr_rad_s),
                "roll_deg": deg(s.roll_rad),
                "pitch_deg": deg(s.pitch_rad),
                "yaw_deg": deg(s.yaw_rad),
            }
            for s in result.samples
        ],
        "register_replies": replies,
        "short_packets": result.short_packets,
        "malformed": result.malformed,
    }


def _decode_movella_dot(data: bytes) -> dict[str, Any]:
    from sensors.profiles import movella_dot

    payload, error = movella_dot.decode_payload(data)
    if payload is None:
        return {"samples": [], "malformed": [str(error)]}
    sample = {
        "t_us": payload.t_us,
        "t_s": payload.t_us * 1e-6,
        "quaternion_wxyz": [round(q, 7) for q in payload.quaternion],
        "acc_m_s2": _si(payload.acc_m_s2),
        "gyr_rad_s": _si(payload.gyr_rad_s),
    }
    return {
        "payload_mode": "custom mode 5",
        "samples": [sample],
        "padding_bytes": payload.padding_bytes,
        "malformed": [],
    }


# --- BLE commands ---------------------------------------------------------------------------------------------


def cmd_scan(args: argparse.Namespace) -> int:
    """List the sensors in range, and the IMU-looking devices that are not supported."""
    from sensors.ble_source import FoundSensor, SensorUnavailableError, scan

    models = _emulated_models(args)
    if args.emulated_bystander and not args.emulated:
        raise CliError("--emulated-bystander puts devices on the virtual radio: add --emulated")

    async def run() -> list[FoundSensor]:
        options: dict[str, Any] = {"probe": not args.no_battery, "include_unsupported": True}
        if args.emulated:
            from sensors.ble.emulated_bystander import BYSTANDERS
            from sensors.emulated_rig import EmulatedRig

            kinds = list(BYSTANDERS) if "all" in args.emulated_bystander else args.emulated_bystander
            try:
                rig = EmulatedRig(models=models, bystanders=tuple(dict.fromkeys(kinds)))
            except ValueError as e:
                raise CliError(str(e)) from e
            async with rig:
                return await scan(args.timeout_s, rig.scanner_backend, client_backend=rig.client_backend, **options)
        return await scan(args.timeout_s, **options)

    try:
        found = asyncio.run(run())
    except SensorUnavailableError as e:
        raise CliError(str(e)) from e
    supported = [s for s in found if s.supported]
    if args.json:
        print(json.dumps([_found_json(s) for s in found], indent=2))
    else:
        print(format_scan(found))
    return 0 if supported else 1


def _found_json(s: Any) -> dict[str, Any]:
    return {
        "name": s.name,
        "address": s.address,
        "rssi_dbm": s.rssi,
        "supported": s.supported,
        "profile": s.profile,
        "model": s.model,
        "battery_pct": s.battery_pct,
        "reason": s.unsupported_reason,
    }


def format_scan(found: list[Any]) -> str:
    """Scan results as lines: supported sensors with model, signal and battery, then the unsupported ones."""
    supported = [s for s in found if s.supported]
    lines = []
    if supported:
        lines.append("sensors dorsi can use:")
        for s in supported:
            battery = "unknown" if s.battery_pct is None else f"{s.battery_pct} %"
            lines.append(
                f"  {s.name:12s} {s.address:20s} {s.model}  rssi {s.rssi} dBm  battery {battery}  (profile {s.profile})"
            )
    else:
        lines.append("no supported sensors found (are they charged, switched on, near, and not connected elsewhere?)")
    others = [s for s in found if not s.supported]
    if others:
        lines.append("not supported:")
        lines += [f"  {s.name:12s} {s.address:20s} not supported: {s.unsupported_reason}" for s in others]
    return "\n".join(lines)


def _sensor_choice(args: argparse.Namespace) -> dict[Role, str]:
    """Check --shin/--foot or --emulated and --rate-hz; the emulated models chosen."""
    if not args.emulated and not (args.shin and args.foot):
        raise CliError("name the sensors with --shin NAME --foot NAME (see `dorsi scan`), or use --emulated")
    if args.rate_hz <= 0:
        raise CliError(f"--rate-hz must be positive, got {args.rate_hz}")
    return _emulated_models(args)


def _stop_on_signals() -> threading.Event:
    """An event that Ctrl-C or SIGTERM sets, for a clean stop."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def cmd_record(args: argparse.Namespace) -> int:
    """Record a session until Ctrl-C or --duration-s."""
    from dashboard.recording import RecordingError, record_session
    from processing.pipeline import EXERCISES

    if args.exercise not in EXERCISES:
        raise CliError(f"unknown exercise {args.exercise!r}; choose one of: {', '.join(EXERCISES)}")
    models = _sensor_choice(args)
    choose_models: dict[str, Any] = {}
    if models:
        choose_models["emulated_models"] = models
    stop = _stop_on_signals()
    try:
        summary = record_session(
            resolve_data_dir(args.data_dir),
            emulated=args.emulated,
            shin=args.shin,
            foot=args.foot,
            side=args.side,
            exercise=args.exercise,
            rate_hz=args.rate_hz,
            duration_s=args.duration_s,
            stop=stop,
            log=lambda msg: print(msg, flush=True),
            heartbeat=args.heartbeat,
            **choose_models,
        )
    except (RecordingError, OSError) as e:
        raise CliError(str(e)) from e
    print(json.dumps(summary))
    return 0


def cmd_calibrate_sensors(args: argparse.Namespace) -> int:
    """Calibrate both sensors' accelerometers and keep the calibrations in the data directory."""
    from bleak.exc import BleakError

    from dashboard.sensor_calibration import calibrate_sensors

    models = _sensor_choice(args)
    if not args.duration_s > 0:
        raise CliError(f"--duration-s must be positive, got {args.duration_s}")
    stop = _stop_on_signals()
    try:
        result = calibrate_sensors(
            resolve_data_dir(args.data_dir),
            emulated=args.emulated,
            shin=args.shin,
            foot=args.foot,
            rate_hz=args.rate_hz,
            duration_s=args.duration_s,
            stop=stop,
            log=lambda msg: print(msg, file=sys.stderr, flush=True),
            emulated_models=models,
        )
    except (BleakError, OSError) as e:
        raise CliError(str(e)) from e
    for role, entry in result.items():
        if "error" in entry:
            print(f"{role} sensor {entry['sensor']}: not calibrated: {entry['error']}", file=sys.stderr)
    print(json.dumps(result))
    return 0 if all("error" not in e for e in result.values()) else 1


def _interrupt_on_signals() -> None:
    """Ctrl-C and SIGTERM stop the server, even when started from a shell that ignores SIGINT (background)."""

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, interrupt)


def _server_access(args: argparse.Namespace) -> tuple[str | None, bool]:
    """The access token the server needs (None on loopback without one) and whether to print it."""
    import os

    from dashboard.access import TOKEN_ENV, AccessError, resolve_token

    try:
        return resolve_token(args.host, args.token or os.environ.get(TOKEN_ENV), args.generate_token)
    except AccessError as e:
        raise CliError(str(e)) from e


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Serve the dashboard."""
    from dashboard.app import run_dashboard
    from dashboard.live_feed import LiveFeed

    if not args.emulated and not (args.shin and args.foot):
        raise CliError("name the sensors with --shin NAME --foot NAME (see `dorsi scan`), or use --emulated")
    token, show_token = _server_access(args)
    feed = LiveFeed(
        resolve_data_dir(args.data_dir), side=args.side, shin=args.shin, foot=args.foot, emulated=args.emulated
    )
    _interrupt_on_signals()
    try:
        run_dashboard(feed, host=args.host, port=args.port, token=token, show_token=show_token)
    finally:
        feed.stop()
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """Serve the dashboard (no sensors connected) and print the URL of a session's replay."""
    from dashboard.app import run_dashboard
    from dashboard.live_feed import LiveFeed
    from dashboard.paths import is_session_id

    data = resolve_data_dir(args.data_dir)
    if not is_session_id(args.session) or not (data / "sessions" / args.session / "session.json").is_file():
        raise CliError(f"no session {args.session!r} in {data / 'sessions'} (ids are listed by `dorsi reindex`)")
    token, show_token = _server_access(args)
    feed = LiveFeed(data, emulated=False)
    _interrupt_on_signals()
    try:
        run_dashboard(
            feed,
            host=args.host,
            port=args.port,
            token=token,
            show_token=show_token,
            page=f"/replay?session={args.session}",
        )
    finally:
        feed.stop()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Start emulated sensors, connect, record and serve the live dashboard."""
    from dashboard.app import run_dashboard
    from dashboard.live_feed import LiveFeed

    token, show_token = _server_access(args)
    data = resolve_data_dir(args.data_dir) if args.data_dir else Path.cwd() / "data" / "demo"
    if args.history_weeks < 0:
        raise CliError("--history-weeks must be 0 or more")
    _seed_demo_history(data, args.history_weeks)
    print(f"dorsi demo: emulated sensors on a virtual radio; sessions are recorded in {data}")
    feed = LiveFeed(data, side="right", emulated=True)
    _interrupt_on_signals()
    feed.connect()
    try:
        run_dashboard(feed, host=args.host, port=args.port, token=token, show_token=show_token)
    finally:
        feed.stop()
    return 0


def _seed_demo_history(data: Path, weeks: int) -> None:
    """Seed weeks of demo sessions into an empty demo data directory, and index them."""
    from dashboard import session_index
    from dashboard.demo_history import has_sessions, seed_demo_history

    if weeks == 0 or has_sessions(data):
        return
    print(f"dorsi demo: seeding {weeks} weeks of DEMO DATA (simulated sessions, not a person's) in {data}", flush=True)
    try:
        report = seed_demo_history(data, weeks, log=lambda line: print(f"dorsi demo: {line}", flush=True))
    except OSError as e:
        raise CliError(f"cannot write the demo history in {data}: {e}") from e
    session_index.sync(data)
    print(f"dorsi demo: {len(report.session_ids)} demo sessions seeded and indexed", flush=True)


# --- storage: reindex, import, export, report -----------------------------------------------------------------


def _add_storage_commands(sub: Any) -> None:
    p = sub.add_parser("reindex", help="rebuild the session index (index.sqlite) from the session folders")
    _add_data_dir(p)

    p = sub.add_parser(
        "import", help="make a session from an interchange CSV, or from Xsens/Movella MT Manager exports"
    )
    _add_data_dir(p)
    p.add_argument("csv", nargs="?", default=None, help="interchange CSV (t_s,sensor,ax,ay,az,gx,gy,gz)")
    p.add_argument("--shin", default=None, metavar="FILE", help="MT Manager text export of the shin sensor")
    p.add_argument("--foot", default=None, metavar="FILE", help="MT Manager text export of the foot sensor")
    p.add_argument(
        "--rate-hz",
        type=float,
        default=None,
        help="with --shin/--foot: the sensors' rate, Hz, for exports without SampleTimeFine or an Update Rate line",
    )
    p.add_argument("--leg", choices=("left", "right"), required=True, help="which leg was recorded")
    p.add_argument("--exercise", required=True, help=EXERCISE_HELP + " (the whole recording is one set)")
    p.add_argument(
        "--created", default=None, help="when it was recorded, ISO-8601 (default: now), e.g. 2026-11-24T10:15Z"
    )

    p = sub.add_parser("export", help="write a session as an interchange CSV or an OpenSim .sto orientations file")
    _add_data_dir(p)
    p.add_argument("session", help="session id (or folder)")
    p.add_argument("--csv", default=None, metavar="OUT", help="write the interchange CSV here")
    p.add_argument("--sto", default=None, metavar="OUT", help="write OpenSim (OpenSense) orientations here")

    p = sub.add_parser("report", help="one self-contained HTML report of a session or a date range, for a physio")
    _add_data_dir(p)
    p.add_argument("what", help="session id, or a date range FROM..TO such as 2026-10-01..2026-11-24")
    p.add_argument("--leg", choices=("left", "right"), default=None, help="only this leg")
    p.add_argument("--out", default=None, metavar="FILE", help="HTML file to write (default: dorsi-report-*.html here)")


def cmd_reindex(args: argparse.Namespace) -> int:
    """Rebuild the session index from the session folders and say what it did."""
    from dashboard.session_index import INDEX_FILE, sync

    data = resolve_data_dir(args.data_dir)
    if not (data / "sessions").is_dir():
        raise CliError(f"{data}: no sessions folder (is --data-dir right?)")
    try:
        report = sync(data, full=True)
    except OSError as e:
        raise CliError(f"cannot write the index {data / INDEX_FILE}: {e}") from e
    print(f"{data / INDEX_FILE}: {len(report.added)} added, {len(report.problems)} with problems")
    for sid in report.added:
        print(f"  indexed {sid}")
    for problem in report.problems:
        print(f"  problem: {problem}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import recordings as a new session; print its id."""
    from dashboard.io.importing import SessionImportError, import_interchange, import_xsens

    data = resolve_data_dir(args.data_dir)
    if args.csv and (args.shin or args.foot):
        raise CliError("give either an interchange CSV or --shin FILE --foot FILE, not both")
    try:
        if args.csv:
            sid = import_interchange(data, Path(args.csv), args.leg, args.exercise, created=args.created)
        elif args.shin and args.foot:
            shin, foot = Path(args.shin), Path(args.foot)
            sid = import_xsens(data, shin, foot, args.leg, args.exercise, created=args.created, rate_hz=args.rate_hz)
        else:
            raise CliError("give an interchange CSV, or both --shin FILE and --foot FILE (MT Manager exports)")
    except SessionImportError as e:
        raise CliError(str(e)) from e
    print(sid)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Export a session as an interchange CSV and/or an OpenSim orientations file."""
    from dashboard.io.exporting import ExportError, export_csv, export_sto

    if not (args.csv or args.sto):
        raise CliError("say what to write: --csv OUT and/or --sto OUT")
    data = resolve_data_dir(args.data_dir)
    try:
        if args.csv:
            export_csv(data, args.session, Path(args.csv))
            print(f"wrote {args.csv}")
        if args.sto:
            export_sto(data, args.session, Path(args.sto))
            print(f"wrote {args.sto}")
    except ExportError as e:
        raise CliError(str(e)) from e
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write one self-contained HTML report."""
    from dashboard.io.report import ReportError, write_report

    data = resolve_data_dir(args.data_dir)
    try:
        out = write_report(data, args.what, leg=args.leg, out=Path(args.out) if args.out else None)
    except ReportError as e:
        raise CliError(str(e)) from e
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
