import type { DAYS } from "../../../workers/speed-to-lead/settings";
import { fieldErrors } from "../field-errors";
import { FormError } from "../form-messages";
import { PostForm } from "../post-form";

type Day = (typeof DAYS)[number];

export const WEEK: readonly Day[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_NAMES: Record<Day, string> = {
  mon: "Monday",
  tue: "Tuesday",
  wed: "Wednesday",
  thu: "Thursday",
  fri: "Friday",
  sat: "Saturday",
  sun: "Sunday",
};

export interface ReviewValues {
  services: string[];
  cities: string[];
  areas: string[];
  timezone: string;
  /** Absent: open around the clock (the speed-to-lead settings' meaning). */
  hours: Partial<Record<Day, [string, string][]>> | null;
  /** What the website said about hours, quoted, when the draft read them from it. */
  hoursSaid: string | null;
}

const small = { minHeight: "6rem" };

/**
 * Step 2: what the draft found, for the owner to correct — services, the
 * towns and postal codes served, and opening hours — saved together into the
 * DNA's custom layer (one write: all of it or none of it).
 */
export function ReviewForm({
  values,
  version,
  error,
  fields,
}: {
  values: ReviewValues;
  version: number;
  error?: string | null | undefined;
  fields?: Record<string, string> | undefined;
}) {
  const errors = fieldErrors(fields);
  return (
    <PostForm className="stack" style={{ maxWidth: "40rem" }}>
      <input type="hidden" name="intent" value="review" />
      <input type="hidden" name="version" value={version} />
      <label>
        Services you offer (one per line)
        <textarea
          name="services"
          rows={6}
          style={small}
          defaultValue={values.services.join("\n")}
          {...errors.aria("services")}
        />
        {errors.message("services")}
      </label>
      <label>
        Towns and cities you serve (one per line)
        <textarea
          name="cities"
          rows={4}
          style={small}
          defaultValue={values.cities.join("\n")}
          {...errors.aria("cities")}
        />
        {errors.message("cities")}
      </label>
      <label>
        Postal codes or areas (one per line, optional)
        <textarea
          name="areas"
          rows={3}
          style={small}
          defaultValue={values.areas.join("\n")}
          {...errors.aria("areas")}
        />
        {errors.message("areas")}
      </label>
      <fieldset>
        <legend>Opening hours (leads reach your phone inside them)</legend>
        {values.hoursSaid ? <p data-testid="hours-said">Your website says “{values.hoursSaid}”.</p> : null}
        <label>
          Time zone
          <input
            name="timezone"
            defaultValue={values.timezone}
            placeholder="America/Chicago"
            {...errors.aria("timezone")}
          />
          {errors.message("timezone")}
        </label>
        <label style={{ display: "flex", gap: ".5rem", fontWeight: 400 }}>
          <input type="checkbox" name="alwaysOpen" defaultChecked={!values.hours} style={{ width: "auto" }} /> Open
          around the clock (ignore the days below)
        </label>
        {WEEK.map((day) => {
          const [range] = values.hours?.[day] ?? [];
          return (
            <div key={day} className="row">
              <span style={{ minWidth: "6rem" }}>{DAY_NAMES[day]}</span>
              <label>
                <span className="skip">{DAY_NAMES[day]} opens</span>
                <input
                  name={`${day}-from`}
                  type="time"
                  defaultValue={range?.[0] ?? ""}
                  {...errors.aria(`${day}-from`)}
                />
              </label>
              <label>
                <span className="skip">{DAY_NAMES[day]} closes</span>
                <input name={`${day}-to`} type="time" defaultValue={range?.[1] ?? ""} />
              </label>
              {errors.message(`${day}-from`)}
            </div>
          );
        })}
        <p>A day left empty is closed.</p>
      </fieldset>
      <FormError message={error} />
      <button type="submit">Save and continue</button>
    </PostForm>
  );
}
