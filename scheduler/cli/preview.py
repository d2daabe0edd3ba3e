"""`crier preview`: every part of every delivery, exactly as it would be sent. Nothing is sent."""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path

from content.delivery import Delivery
from content.networks import rules_for
from scheduler.service import Preview, Service


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("preview", help="show what each network would receive")
    parser.add_argument("post", type=Path, help="the post file (Markdown with front matter)")
    parser.add_argument("--platform", action="append", default=[],
                        help="only this network (repeatable)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--images", type=Path, metavar="DIR",
                        help="also render every image into DIR, with its alt text beside it")
    parser.add_argument("--repeat", type=int, default=0, metavar="N",
                        help="an evergreen post's repeat N, as it will be sent")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, service: Service) -> int:
    preview = service.preview(args.post, args.platform, args.images, args.repeat)
    if args.json:
        print(json.dumps(preview.to_json(), ensure_ascii=False, indent=2))
        return 0
    for name, delivery in preview.deliveries.items():
        print(_describe(delivery, preview, name))
    for image in preview.images:
        print(f"image {image['path']}: {image['width']}x{image['height']} {image['format']}, "
              f"{image['bytes']} bytes, alt: {image['alt']}")
    return 0


def _describe(delivery: Delivery, preview: Preview, name: str) -> str:
    rules = rules_for(name)
    count = len(delivery.parts)
    head = (f"== {rules.display}: {count} part{'s' * (count != 1)}, {delivery.shape}, "
            f"limit {rules.limit} {rules.unit}")
    lines = [head] + [f"   note: {note}" for note in delivery.notes]
    if delivery.overridden:  # said apart from the notes: what the author wrote for here only
        lines.append(f"   override: {', '.join(delivery.overridden)} from the post's {name}: "
                     "section; the rest from the post")
    for part in delivery.parts:
        flags = preview.marks(part, name)
        tags = [label for key, label in (("disclaimer", "disclaimer"),
                                          ("call_to_action", "call to action")) if flags[key]]
        extra = f"  [{', '.join(tags)}]" if tags else ""
        images = f"  [{len(part.images)} image(s)]" if part.images else ""
        lines.append(f"-- part {part.index + 1}/{count}: {part.length}/{part.limit}{extra}{images}")
        lines.append(textwrap.indent(part.text, "   | ", lambda _: True))
    return "\n".join(lines) + "\n"
