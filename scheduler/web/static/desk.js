// The desk's few lines of script: the calendar (FullCalendar, vendored) and its drag to
// reschedule. Everything else is server-rendered HTML with htmx partials.
"use strict";

function csrfToken() { return document.body.dataset.csrf; }

function say(message) {
  const status = document.getElementById("calendar-status");
  if (status) { status.textContent = message; }
}

function chosenNetworks() {
  return [...document.querySelectorAll("#calendar-networks input:checked")].map((b) => b.value);
}

function startCalendar(el) {
  const today = el.dataset.today;  // the author's date, by the service's clock
  const calendar = new FullCalendar.Calendar(el, {
    // Events come as the author's wall times; UTC mode shows them as given (FullCalendar
    // alone cannot convert named zones, and the server already did).
    timeZone: "UTC",
    now: el.dataset.now,
    initialView: "dayGridMonth",
    initialDate: today,
    headerToolbar: { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,listWeek" },
    buttonText: { month: "Month", week: "Week", list: "List", today: "Today" },
    firstDay: 1,
    height: "auto",
    events: {
      url: el.dataset.events,
      // Only the networks ticked above the calendar.
      extraParams: () => ({ network: chosenNetworks().join(",") }),
    },
    scrollTime: "07:00:00",
    eventDurationEditable: false,
    // Whether events are being (re)fetched: scripts and tests wait for "no" before acting.
    loading: (busy) => { el.dataset.busy = busy ? "yes" : "no"; },
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    dayMaxEvents: 6,
    eventDisplay: "block",
    eventAllow: (drop) => drop.start.toISOString().slice(0, 10) >= today,
    eventDidMount: (info) => {
      info.el.setAttribute("data-delivery", info.event.id);
      info.el.setAttribute("data-status", info.event.extendedProps.status);
      info.el.setAttribute("aria-label", info.event.title + " (" + info.event.extendedProps.status.replace("_", " ") + ")");
    },
    eventDrop: async (info) => {
      const day = info.event.start.toISOString().slice(0, 10);
      const body = new URLSearchParams({ day: day, csrf: csrfToken() });
      let answer = { ok: false, message: "the desk did not answer" };
      try {
        const response = await fetch("/deliveries/" + info.event.id + "/move", {
          method: "POST", body: body, headers: { "X-CSRF-Token": csrfToken() },
          credentials: "same-origin",
        });
        answer = await response.json();
      } catch (err) { answer.message = String(err); }
      if (!answer.ok) { info.revert(); }
      el.dataset.busy = "yes";  // until the refetch below has redrawn the events
      calendar.refetchEvents();
      say(answer.ok ? "Moved: " + answer.message : "Not moved: " + answer.message);
    },
  });
  calendar.render();
  for (const box of document.querySelectorAll("#calendar-networks input")) {
    box.addEventListener("change", () => calendar.refetchEvents());
  }
  window.crierCalendar = calendar;
}

document.addEventListener("DOMContentLoaded", () => {
  // A chosen photo is uploaded by its own request; its change must not also fire the form's
  // preview, which would race the upload (the preview follows once the photo is stored).
  for (const input of document.querySelectorAll("input[type=file]")) {
    input.addEventListener("change", (event) => event.stopPropagation());
  }
  const el = document.getElementById("calendar");
  if (el && window.FullCalendar) { startCalendar(el); }
});
