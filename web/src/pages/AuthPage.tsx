import { Alert, Button, Card, Description, FieldError, Form, Input, Label, Link, TextField } from "@heroui/react";
import { useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import { useAuth } from "../auth/AuthProvider";
import { Icon } from "../components/Icon";
import { Logo } from "../components/Logo";
import { ThemeToggle } from "../components/ThemeToggle";

type Mode = "login" | "register";
type FieldErrors = Partial<Record<"email" | "password", string>>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Client-side checks that mirror the API's (so most mistakes never need a round trip). */
export function validateCredentials(email: string, password: string, minLength: number, mode: Mode): FieldErrors {
  const errors: FieldErrors = {};
  if (!email.trim()) errors.email = "Enter your email address.";
  else if (!EMAIL.test(email.trim())) errors.email = "That does not look like an email address.";
  if (!password) errors.password = "Enter your password.";
  else if (mode === "register" && password.length < minLength)
    errors.password = `Use at least ${minLength} characters.`;
  return errors;
}

const COPY: Record<Mode, { title: string; subtitle: string; submit: string }> = {
  login: { title: "Welcome back", subtitle: "Sign in to manage your WhatsApp numbers.", submit: "Sign in" },
  register: {
    title: "Create your account",
    subtitle: "Connect your first WhatsApp number in under a minute.",
    submit: "Create account",
  },
};

export function AuthPage({ mode }: { mode: Mode }) {
  const { login, register, config } = useAuth();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [showPassword, setShowPassword] = useState(false);
  const minLength = config?.password_min_length ?? 8;
  const copy = COPY[mode];

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const email = String(data.get("email") ?? "").trim();
    const password = String(data.get("password") ?? "");
    const found = validateCredentials(email, password, minLength, mode);
    setErrors(found);
    setFormError(null);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      if (mode === "login") await login(email, password);
      else if ((await register(email, password)) === "confirm_email")
        setNotice(`We sent a confirmation link to ${email}. Open it, then sign in.`);
    } catch (error) {
      showServerError(error);
    } finally {
      setBusy(false);
    }
  }

  function showServerError(error: unknown) {
    if (error instanceof ApiError && (error.fields.email || error.fields.password)) {
      setErrors({ email: error.fields.email, password: error.fields.password });
    } else if (error instanceof ApiError && error.status === 401) {
      setFormError("Wrong email or password.");
    } else if (error instanceof ApiError && error.status === 409) {
      setErrors({ email: "An account with this email already exists. Sign in instead." });
    } else {
      setFormError(error instanceof Error ? error.message : "Something went wrong.");
    }
  }

  return (
    <div className="relative grid min-h-full lg:grid-cols-2">
      <aside className="relative hidden overflow-hidden bg-gradient-to-br from-emerald-600 via-emerald-700 to-teal-900 p-12 text-white lg:flex lg:flex-col lg:justify-between">
        <Logo />
        <div className="max-w-md space-y-6">
          <h2 className="text-4xl font-semibold leading-tight">Every WhatsApp number your team runs, in one inbox.</h2>
          <ul className="space-y-3 text-emerald-50/90">
            {["Pair a number by scanning a QR code", "Answer every chat live, from any device", "Each number isolated in its own container"].map(
              (line) => (
                <li key={line} className="flex items-center gap-3">
                  <Icon name="success" className="size-5 text-emerald-200" />
                  {line}
                </li>
              ),
            )}
          </ul>
        </div>
        <p className="text-sm text-emerald-100/70">Open source · self-hosted on Kubernetes</p>
        <div aria-hidden className="absolute -right-24 -bottom-24 size-96 rounded-full bg-white/10 blur-2xl" />
      </aside>
      <main className="flex flex-col items-center justify-center gap-6 px-4 py-10">
        <div className="absolute top-4 right-4"><ThemeToggle /></div>
        <div className="lg:hidden"><Logo /></div>
        <Card className="w-full max-w-sm gap-6 p-8 shadow-lg">
          <Card.Header className="gap-1">
            <Card.Title className="text-2xl font-semibold tracking-tight">{copy.title}</Card.Title>
            <Card.Description>{copy.subtitle}</Card.Description>
          </Card.Header>
          <Card.Content>
            {notice ? (
              <Alert status="success"><Alert.Indicator /><Alert.Content><Alert.Title>Check your inbox</Alert.Title><Alert.Description>{notice}</Alert.Description></Alert.Content></Alert>
            ) : (
              <Form className="flex flex-col gap-4" validationBehavior="aria" validationErrors={errors} onSubmit={onSubmit} aria-label={copy.title}>
                {formError && (
                  <Alert status="danger" role="alert">
                    <Alert.Indicator />
                    <Alert.Content><Alert.Title>{formError}</Alert.Title></Alert.Content>
                  </Alert>
                )}
                <TextField name="email" type="email" autoComplete="email" isInvalid={!!errors.email}>
                  <Label>Email</Label>
                  <Input placeholder="you@company.com" />
                  <FieldError>{errors.email}</FieldError>
                </TextField>
                <TextField name="password" type={showPassword ? "text" : "password"} isInvalid={!!errors.password}
                  autoComplete={mode === "login" ? "current-password" : "new-password"}>
                  <Label>Password</Label>
                  <div className="relative">
                    <Input className="w-full pr-10" placeholder={mode === "register" ? `At least ${minLength} characters` : "Your password"} />
                    <Button isIconOnly size="sm" variant="ghost" className="absolute top-1/2 right-1 -translate-y-1/2"
                      aria-label={showPassword ? "Hide password" : "Show password"} onPress={() => setShowPassword((v) => !v)}>
                      <Icon name={showPassword ? "eyeClosed" : "eye"} className="size-4" />
                    </Button>
                  </div>
                  {mode === "register" && !errors.password && <Description>Use {minLength} or more characters.</Description>}
                  <FieldError>{errors.password}</FieldError>
                </TextField>
                <Button type="submit" fullWidth isPending={busy}>{copy.submit}</Button>
              </Form>
            )}
          </Card.Content>
          <Card.Footer className="justify-center text-sm text-muted">
            {mode === "login" ? "New to Conectafy?" : "Already have an account?"}&nbsp;
            <Link href={mode === "login" ? "/register" : "/login"}>
              {mode === "login" ? "Create an account" : "Sign in"}
            </Link>
          </Card.Footer>
        </Card>
      </main>
    </div>
  );
}
