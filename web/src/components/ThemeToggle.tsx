import { Button } from "@heroui/react";
import { useState } from "react";
import { Icon } from "./Icon";
import { applyTheme, currentTheme } from "./theme";

export function ThemeToggle() {
  const [theme, setTheme] = useState(currentTheme);
  const next = theme === "dark" ? "light" : "dark";
  return (
    <Button
      isIconOnly
      variant="ghost"
      size="sm"
      aria-label={`Switch to ${next} mode`}
      onPress={() => {
        applyTheme(next);
        setTheme(next);
      }}
    >
      <Icon name={theme === "dark" ? "sun" : "moon"} className="size-5" />
    </Button>
  );
}
