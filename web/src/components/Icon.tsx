import { addCollection, Icon as IconifyIcon } from "@iconify/react";
import { ICONS, type IconName } from "../icons/names";
import solar from "../icons/solar.json";

addCollection(solar);

interface IconProps {
  name: IconName;
  className?: string;
  /** An accessible name; without one the icon is decorative and hidden from screen readers. */
  label?: string;
}

export function Icon({ name, className, label }: IconProps) {
  return (
    <IconifyIcon
      icon={ICONS[name]}
      className={className}
      aria-hidden={!label}
      aria-label={label}
      role={label ? "img" : undefined}
    />
  );
}
