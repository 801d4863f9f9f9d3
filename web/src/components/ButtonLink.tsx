import { buttonVariants } from "@heroui/react";
import type { ReactNode } from "react";
import { Link } from "react-aria-components";

interface Props {
  href: string;
  children: ReactNode;
  variant?: "primary" | "secondary" | "tertiary" | "ghost" | "outline";
  size?: "sm" | "md" | "lg";
  className?: string;
  "aria-label"?: string;
}

/** A link that looks like a HeroUI button (navigation is a link, not a button, for assistive tech). */
export function ButtonLink({ href, children, variant = "primary", size = "sm", className, ...rest }: Props) {
  return (
    <Link href={href} className={`${buttonVariants({ variant, size })} ${className ?? ""}`} {...rest}>
      {children}
    </Link>
  );
}
