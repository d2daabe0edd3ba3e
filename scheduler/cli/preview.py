"""`crier preview`: every part of every delivery, exactly as it would be sent. Nothing is sent."""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path
from typing import Any

from content.brand import Brand
from content.compose import compose_all
from content.delivery import Delivery, Part
from content.networks import rules_for
from scheduler.config import load_brand, load_post


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("preview", help="show what each network would receive")
    parser.add_argument("post", type=Path, help="the post file (Markdown with front matter)")
    parser.add_argument("--platform", action="append", default=[],
                        help="only this network (repeatable)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--images", type=Path, metavar="DIR",
                        help="also render every image into DIR, with its alt text beside it")
    parser.set_defaults(func=run)


def marks(part: Part, brand: Brand, platform: str) -> dict[str, bool]:
    """Whether the part carries the disclaimer (full or short) and the call to action, looked
    for as the network receives them (escaped where it escapes text)."""
    sent = rules_for(platform).escape
    return {
        "disclaimer": sent(brand.disclaimer) in part.text
        or sent(brand.disclaimer_short) in part.text,
        "call_to_action": sent(brand.call_to_action_for(platform)) in part.text,
    }


def run(args: argparse.Namespace) -> int:
    brand = load_brand()
    post = load_post(args.post)
    deliveries = compose_all(post, brand, args.platform)
    images: list[dict[str, Any]] = []
    if args.images:
        from scheduler.images import write_preview_images

        images = write_preview_images(deliveries, args.post, brand, args.images)
    if args.json:
        out = []
        for name, delivery in deliveries.items():
            data = delivery.to_json()
            for part, part_json in zip(delivery.parts, data["parts"], strict=True):
                part_json.update(marks(part, brand, name))
            data["images"] = [i for i in images if i["network"] == name]
            out.append(data)
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    for name, delivery in deliveries.items():
        print(_describe(delivery, brand, name))
    for image in images:
        print(f"image {image['path']}: {image['width']}x{image['height']} {image['format']}, "
              f"{image['bytes']} bytes, alt: {image['alt']}")
    return 0


def _describe(delivery: Delivery, brand: Brand, name: str) -> str:
    rules = rules_for(name)
    count = len(delivery.parts)
    head = f"== {rules.display}: {count} part{'s' * (count != 1)}, limit {rules.limit} {rules.unit}"
    lines = [head] + [f"   note: {note}" for note in delivery.notes]
    for part in delivery.parts:
        flags = marks(part, brand, name)
        tags = [label for key, label in (("disclaimer", "disclaimer"),
                                          ("call_to_action", "call to action")) if flags[key]]
        extra = f"  [{', '.join(tags)}]" if tags else ""
        images = f"  [{len(part.images)} image(s)]" if part.images else ""
        lines.append(f"-- part {part.index + 1}/{count}: {part.length}/{part.limit}{extra}{images}")
        lines.append(textwrap.indent(part.text, "   | ", lambda _: True))
    return "\n".join(lines) + "\n"
