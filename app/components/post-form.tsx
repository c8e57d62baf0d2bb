import { Form, type FormProps } from "@remix-run/react";
import { CsrfField } from "./csrf-field";

/** A form that posts with this browser's CSRF token: the web app's one way to write. */
export function PostForm({ children, ...props }: Omit<FormProps, "method">) {
  return (
    <Form method="post" {...props}>
      <CsrfField />
      {children}
    </Form>
  );
}
