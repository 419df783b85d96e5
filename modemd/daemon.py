"""Wiring in one place: store → channels → services → interfaces; stop in reverse."""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import timedelta
from typing import Any

import bottle
from waitress.server import create_server

from modemd.accounting import Accounting
from modemd.api import ApiContext, create_api, install_error_handlers
from modemd.billing import CostModel
from modemd.channels.base import Channel
from modemd.channels.modem import ModemChannel
from modemd.channels.smpp import SmppChannel
from modemd.clock import Clock
from modemd.config import Config
from modemd.dispatcher import Dispatcher
from modemd.events import EventBus, MessageStatusChanged
from modemd.housekeeping import Job
from modemd.inbound import InboundService
from modemd.mailer import Mailer
from modemd.messaging import MessageService
from modemd.optout import OptOutService
from modemd.reminders import ReminderService
from modemd.reports import ReportService
from modemd.scheduler import Scheduler
from modemd.sendwindow import SendWindows
from modemd.store import BillingStore, Database, KeyStore, MessageStore, TemplateStore, UserStore
from modemd.store.blocklist import BlocklistStore
from modemd.store.housekeeping import HousekeepingStore
from modemd.store.inbound import InboundStore
from modemd.store.outbox import OutboxStore
from modemd.store.reminders import ReminderStore
from modemd.store.reports import ReportStore
from modemd.store.schedule import ScheduleStore
from modemd.templates import TemplateService
from modemd.webhooks import WebhookService
from webui.app import WebContext, create_webui
from webui.security import load_or_create_secret

log = logging.getLogger("modemd.daemon")
# waitress warns whenever a request waits for a free worker thread: normal under a burst.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)


class Daemon:
    """The running modemd: owns the database, the channels, the workers and the HTTP server."""

    def __init__(self, config: Config, *, clock: Clock | None = None):
        self.config = config
        self.clock = clock or Clock()
        self.db: Database | None = None
        self.channels: list[Channel] = []
        self.dispatcher: Dispatcher | None = None
        self.scheduler: Scheduler | None = None
        self.mailer: Mailer | None = None
        self.webhooks: WebhookService | None = None
        self.app: bottle.Bottle | None = None  # the WSGI app (API + dashboard) once started
        self._server: Any = None
        self._server_thread: threading.Thread | None = None

    # --- life cycle ----------------------------------------------------------------------
    def start(self) -> None:
        """Open everything and begin serving; returns once the HTTP port is bound."""
        cfg = self.config
        self.db = Database(cfg.db_path)
        self.messages = MessageStore(self.db)
        self.keys = KeyStore(self.db)
        self.users = UserStore(self.db)
        now = self.clock.now()
        resumed = self.messages.recover_interrupted(now)
        if resumed:
            log.warning("%d message(s) were being sent when modemd stopped; resuming them "
                        "without re-sending parts the network already accepted", resumed)
        known = {m.name for m in cfg.modems} | ({"smpp"} if cfg.smpp.mode != "off" else set())
        released = self.messages.unpin_unknown_channels(known, now)
        if released:
            log.warning("%d message(s) were pinned to modems no longer configured; released",
                        released)

        self.channels = [
            ModemChannel(m.name, m.port, baudrate=m.baudrate, pin=m.pin,
                         send_timeout=m.send_timeout, command_timeout=m.command_timeout,
                         log_content=cfg.daemon.log_content,
                         sweep_interval=cfg.inbound.sweep_minutes * 60 or 300.0,
                         national=cfg.sms.national_language_tables,
                         national_locking=cfg.sms.national_locking,
                         startup_timeout=m.startup_timeout, poll_interval=m.poll_interval,
                         usb_id=m.usb_id or None)
            for m in cfg.modems
        ]
        s = cfg.smpp
        if s.mode != "off":
            self.channels.append(SmppChannel(
                "smpp", s.host, s.port, system_id=s.system_id, password=s.password,
                system_type=s.system_type, source_addr=s.source_addr, window=s.window,
                enquire_link_seconds=s.enquire_link_seconds,
                reconnect_max_seconds=s.reconnect_max_seconds, submit_timeout=s.submit_timeout,
                national=cfg.sms.national_language_tables,
                national_locking=cfg.sms.national_locking, mode=s.mode,
                log_content=cfg.daemon.log_content))
        self.dispatcher = Dispatcher(
            self.messages, self.channels, clock=self.clock,
            status_reports=cfg.sms.status_reports,
            validity_minutes=cfg.sms.validity_hours * 60 or None,
            retry_attempts=cfg.sms.retry_attempts, retry_backoff=cfg.sms.retry_backoff,
            log_content=cfg.daemon.log_content,
            fallback={"smpp": s.fallback_after_seconds} if s.mode == "fallback" else None,
        )
        windows = SendWindows.from_specs(cfg.daemon.timezone, cfg.schedule.quiet_hours,
                                         cfg.schedule.days)
        schedule_store = ScheduleStore(self.db)
        self.scheduler = Scheduler(
            schedule_store, HousekeepingStore(self.db), windows, clock=self.clock,
            on_released=self.dispatcher.notify, retention_days=cfg.daemon.retention_days,
            messages_keep_quiet_hours=cfg.schedule.quiet_hours_for_messages,
        )
        self._start_receiving()
        self.templates = TemplateService(
            TemplateStore(self.db), clock=self.clock, national=cfg.sms.national_language_tables,
            national_locking=cfg.sms.national_locking,
            max_length=cfg.sms.max_length,
            defaults={"praxis": cfg.practice.name, "telefon": cfg.practice.phone,
                      "link": cfg.practice.booking_link},
        )
        seeded = self.templates.seed()
        if seeded:
            log.info("added %d starter templates", seeded)
        b = cfg.billing
        self.accounting = Accounting(
            BillingStore(self.db, self.messages), self.keys, timezone=cfg.daemon.timezone,
            monthly_limit=cfg.sms.monthly_limit, clock=self.clock,
            cost=CostModel(b.model, b.price_per_sms, b.package_size, b.package_price, b.currency),
        )
        self.message_service = MessageService(
            self.messages, default_region=cfg.sms.default_region,
            max_length=cfg.sms.max_length, clock=self.clock, on_queued=self.dispatcher.notify,
            accept=self.accounting.accept, accept_many=self.accounting.accept_many,
            optimize_characters=cfg.sms.optimize_characters,
            national=cfg.sms.national_language_tables, templates=self.templates,
            national_locking=cfg.sms.national_locking,
            is_blocked=self.optout.is_blocked,
            max_days_ahead=cfg.schedule.max_days_ahead, on_planned=self.scheduler.rearm,
        )

        def planned() -> None:
            self.dispatcher.notify()  # type: ignore[union-attr]
            self.scheduler.rearm()  # type: ignore[union-attr]

        self.reminder_service = ReminderService(
            ReminderStore(self.db, add=self.accounting.accept), schedule_store, windows,
            clock=self.clock, default_region=cfg.sms.default_region,
            max_length=cfg.sms.max_length, max_days_ahead=cfg.schedule.max_days_ahead,
            on_planned=planned, is_blocked=self.optout.is_blocked,
            render=self.templates.render, national=cfg.sms.national_language_tables,
            national_locking=cfg.sms.national_locking,
        )
        for channel in self.channels:
            channel.start()
        self.dispatcher.start()
        self.mailer.start()
        self.webhooks.start()
        self.scheduler.start()

        self.app = root = bottle.Bottle()
        root.merge(create_api(ApiContext(
            keys=self.keys, messages=self.message_service, channels=self.channels,
            metrics=self._metrics, health=self._health, inbound=self.inbound,
            reports=self.reports, optout=self.optout,
            templates=self.templates, accounting=self.accounting,
            reminders=self.reminder_service,
        )))
        root.merge(create_webui(WebContext(
            users=self.users, keys=self.keys, messages=self.message_service, clock=self.clock,
            secret=load_or_create_secret(cfg.daemon.data_dir), timezone=cfg.daemon.timezone,
            channels=self.channels,
            reminders=self.reminder_service, inbound=self.inbound,
            accounting=self.accounting,
        )))
        install_error_handlers(root)
        self._server = create_server(root, host=cfg.daemon.host, port=cfg.daemon.port,
                                     threads=cfg.daemon.http_threads, ident="modemd",
                                     clear_untrusted_proxy_headers=True)
        self._server_thread = threading.Thread(target=self._serve, name="http", daemon=True)
        self._server_thread.start()
        log.info("modemd listening on %s with %d modem(s)", self.url, len(self.channels))

    def _start_receiving(self) -> None:
        """Services for what comes back: reports, inbound SMS, opt-out, e-mail, webhooks."""
        cfg, db = self.config, self.db
        assert db is not None and self.dispatcher is not None
        self.events = EventBus()
        self.outbox = OutboxStore(db)
        self.optout = OptOutService(BlocklistStore(db), clock=self.clock,
                                    default_region=cfg.sms.default_region,
                                    keywords=cfg.inbound.opt_out_keywords)
        self.reports = ReportService(ReportStore(db), self.events, clock=self.clock,
                                     default_region=cfg.sms.default_region)
        self.inbound = InboundService(
            InboundStore(db), self.reports, self.optout, self.events, clock=self.clock,
            default_region=cfg.sms.default_region,
            reply_window=timedelta(hours=cfg.inbound.reply_window_hours),
            incomplete_after=timedelta(minutes=cfg.inbound.incomplete_after_minutes),
            log_content=cfg.daemon.log_content)
        self.mailer = Mailer(self.outbox, self.inbound.store, self.messages, cfg.smtp,
                             cfg.forward, clock=self.clock, timezone=cfg.daemon.timezone)
        self.webhooks = WebhookService(self.outbox, self.inbound.store, self.messages,
                                       cfg.webhook, clock=self.clock)
        self.events.subscribe(self.mailer.on_event)
        self.events.subscribe(self.webhooks.on_event)
        self.dispatcher.on_part_sent(
            lambda mid, seq, channel, ref: self.reports.part_recorded(mid, seq, channel, ref))
        self.dispatcher.on_status(self._message_status)
        for channel in self.channels:
            if isinstance(channel, ModemChannel | SmppChannel):
                channel.on_inbound(self.inbound.handle)
            if isinstance(channel, SmppChannel):
                channel.on_receipt(self.reports.handle_receipt)
        jobs = [Job("incomplete_inbound", 60.0, self.inbound.expire_incomplete),
                Job("rematch_reports", 300.0, self.reports.rematch_recent)]
        if cfg.sms.status_reports:
            jobs.append(Job("report_expiry", 600.0, self.reports.expire_unreported))
        # Periodic jobs run on the scheduler's timer (one timer for all housekeeping).
        assert self.scheduler is not None
        for job in jobs:
            self.scheduler.add_interval_job(job.name, job.interval, job.run)

    def _message_status(self, message_id: int, status: str) -> None:
        if status == "sent":
            self.reports.message_sent(message_id)
        self.events.publish(MessageStatusChanged(message_id, status, self.clock.now()))

    def _serve(self) -> None:
        server = self._server
        try:
            server.run()
        except OSError:
            # close() from stop() pulls the sockets out from under select(): that is the end.
            if self._server is server:
                raise

    def stop(self) -> None:
        """Stop serving, let the workers finish their current message, close everything."""
        if self._server is not None:
            server, self._server = self._server, None
            # Worker threads first: each pulls the loop's trigger when it finishes a request,
            # which must not happen once the loop has closed that pipe.
            server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)

            def close_in_loop() -> None:
                # Closing from inside the loop thread empties its map, so run() returns now
                # instead of after its select() timeout.
                for channel in list(server._map.values()):
                    channel.close()

            # OSError: the loop was already draining the trigger and ran the thunk (closing
            # the trigger's pipe) before our wake-up byte could be written: done already.
            with contextlib.suppress(OSError):
                server.trigger.pull_trigger(close_in_loop)
            if self._server_thread:
                self._server_thread.join(timeout=5)
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.dispatcher is not None:
            self.dispatcher.stop()
        for channel in reversed(self.channels):
            channel.stop()
        for worker in (self.webhooks, self.mailer):
            if worker is not None:
                worker.stop()
        if self.db is not None:
            self.db.close()
            self.db = None

    @property
    def url(self) -> str:
        """Where the API and the web UI answer (with the real port when 0 was configured)."""
        host = self.config.daemon.host
        port = self._server.effective_port if self._server else self.config.daemon.port
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    # --- health and metrics --------------------------------------------------------------
    def _health(self) -> dict:
        try:
            assert self.db is not None
            self.db.query("SELECT 1")
            db_ok = True
        except Exception:
            db_ok = False
        modems = [c for c in self.channels if isinstance(c, ModemChannel)]
        ready = sum(1 for c in modems if c.ready)
        health: dict = {"ok": db_ok, "database": db_ok,
                        "modems": {"ready": ready, "total": len(modems)}}
        smpp = [c for c in self.channels if isinstance(c, SmppChannel)]
        if smpp:
            health["smpp"] = {"ready": smpp[0].ready, "mode": smpp[0].mode}
        return health

    def _metrics(self) -> str:
        lines = ["# HELP modemd_messages Messages by status.", "# TYPE modemd_messages gauge"]
        for status, n in sorted(self.messages.count_by_status().items()):
            lines.append(f'modemd_messages{{status="{status}"}} {n}')
        lines += ["# HELP modemd_modem_ready 1 if the modem can send.",
                  "# TYPE modemd_modem_ready gauge"]
        for c in self.channels:
            lines.append(f'modemd_modem_ready{{modem="{c.name}"}} {int(c.ready)}')
        lines += ["# HELP modemd_parts_sent_total PDUs accepted by the network.",
                  "# TYPE modemd_parts_sent_total counter"]
        for c in self.channels:
            counters = c.describe().get("counters", {})
            lines.append(f'modemd_parts_sent_total{{modem="{c.name}"}} '
                         f'{counters.get("parts_sent", 0)}')
        return "\n".join(lines) + "\n"
